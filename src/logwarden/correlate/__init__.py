"""Correlation: following one message, request or trace across the records of several systems."""
