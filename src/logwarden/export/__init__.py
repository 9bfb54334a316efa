"""Exports of a search as a stream with no row cap: NDJSON, CSV and XLSX.

    from logwarden.export import EXPORTERS
    exporter = EXPORTERS["csv"]
    for chunk in exporter.write(rows, kind, columns):   # bytes, as the engine hands rows over
        out.write(chunk)

Rows come from `query.service.stream_search` (the engine's own streaming); every writer keeps only a
bounded buffer, so memory stays flat whatever the number of rows.
"""

from __future__ import annotations

from logwarden.export.writers import EXPORTERS, Exporter, export_columns, flat_row

__all__ = ["EXPORTERS", "Exporter", "export_columns", "flat_row"]
