"""Compliance exports in the shapes archive vendors already ingest (see docs/archive.md)."""

from dlp_proxy.archive.export.fields import CSV_COLUMNS, EXPORTERS, decision_fields, message_text

__all__ = ["CSV_COLUMNS", "EXPORTERS", "decision_fields", "message_text"]
