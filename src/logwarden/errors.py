"""Errors written for people. Usage errors exit 2, failures exit 1 (see cli.py)."""

from __future__ import annotations


class LogwardenError(Exception):
    """A failure the user can act on; the message says what, why and what to do."""

    exit_code = 1


class UsageError(LogwardenError):
    exit_code = 2


class DataDirBusy(LogwardenError):
    pass


class FormatError(LogwardenError):
    """A format file is wrong (bad regex, failing sample, unknown key)."""
