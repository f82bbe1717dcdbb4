"""Where configuration and data live.

- Configuration: ``$DLP_CONFIG_DIR`` if set, else ``./config`` when it exists (a
  checkout), else the defaults installed with the package (``dlp_proxy/defaults``,
  built from the repository's ``config/``).
- Data: ``$DLP_DATA_DIR`` (default ``./var``): ``archive/``, ``keys/``, ``redis/``,
  ``uploads/``.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGED_CONFIG = Path(__file__).resolve().parent / "defaults"


def config_dir() -> Path:
    env = os.environ.get("DLP_CONFIG_DIR")
    if env:
        return Path(env).resolve()
    local = Path("config")
    if (local / "policy.yaml").exists() or (local / "recognizers.yaml").exists():
        return local.resolve()
    repo = Path(__file__).resolve().parent.parent / "config"
    if repo.is_dir():
        return repo
    return PACKAGED_CONFIG


def data_dir() -> Path:
    return Path(os.environ.get("DLP_DATA_DIR", "./var")).resolve()
