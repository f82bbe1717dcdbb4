"""Reviewer console and JSON API for the quarantine queue (docs/quarantine.md)."""

from __future__ import annotations

from dlp_proxy.review.app import create_app
from dlp_proxy.review.auth import Authenticator, ReviewSettings, hash_password, load_api_tokens, token_hash

__all__ = ["Authenticator", "ReviewSettings", "create_app", "hash_password", "load_api_tokens", "token_hash"]
