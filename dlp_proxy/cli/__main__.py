"""``python -m dlp_proxy.cli``: the ``dlp-proxy`` command."""

from __future__ import annotations

import sys

from dlp_proxy.cli import main

sys.exit(main())
