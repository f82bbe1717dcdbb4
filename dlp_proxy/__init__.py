"""dlp-proxy: a data-loss-prevention gateway for Mattermost."""

__version__ = "0.1.0"
