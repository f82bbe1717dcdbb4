"""Compliance exports in the shapes archive vendors already ingest (see docs/archive.md).

- ``actiance``: Actiance (Smarsh) XML + files in Mattermost's batch zip layout;
- ``globalrelay``: one EML per conversation (zip, or SMTP delivery);
- ``csv``: Mattermost's CSV columns plus ours;
- ``jsonl``: one decision per line.

``job.run_export`` runs one (incremental) export; ``schedule`` runs it on a timetable.
"""

from dlp_proxy.archive.export.csvfmt import CSV_COLUMNS
from dlp_proxy.archive.export.fields import decision_fields, message_text
from dlp_proxy.archive.export.job import FORMATS, build_artifact, run_export

__all__ = ["CSV_COLUMNS", "FORMATS", "build_artifact", "decision_fields", "message_text", "run_export"]
