"""Each part's own settings, built from the one ``Settings`` object.

The gateway (``run``) and the stand-alone faces (``review``, ``quarantine``)
call these, so a variable means the same thing to every command (the four-eyes
rule, the release bot's token, the console's cookies and accounts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlp_proxy.settings import Settings

if TYPE_CHECKING:
    from dlp_proxy.quarantine import QuarantineSettings
    from dlp_proxy.review.auth import ReviewSettings


def quarantine_settings(cfg: Settings, *, notify_token: str | None = None) -> QuarantineSettings:
    from dlp_proxy.quarantine import QuarantineSettings
    from dlp_proxy.quarantine.service import parse_sla

    notify = notify_token if notify_token is not None else cfg.secret("notify_token")
    return QuarantineSettings(
        notify_token=notify,
        bot_token=cfg.secret("release_bot_token") or notify,
        four_eyes=cfg.four_eyes,
        expire_after=cfg.quarantine_expire_seconds,
        # our own Redis is started with AOF appendfsync always; a configured one is checked
        durability=cfg.quarantine_durability,
        sla=parse_sla(cfg.quarantine_sla),
    )


def review_settings(cfg: Settings, *, hash_key: bytes, alert_channel_id: str | None = None) -> ReviewSettings:
    """The console's settings.  ``alert_channel_id``: where break-glass use is
    reported when DLP_REVIEW_ALERT_CHANNEL_ID is unset (the gateway passes the
    policy's alert channel)."""
    from dlp_proxy.review.auth import ReviewSettings, load_api_tokens
    from dlp_proxy.settings import role_ids

    return ReviewSettings(
        # plain-http consoles (a local demo) need non-Secure cookies; production runs behind TLS
        secure_cookies=cfg.review_secure_cookies,
        break_glass_file=cfg.review_break_glass_file,
        api_tokens=load_api_tokens(cfg.review_api_tokens_file) if cfg.review_api_tokens_file else {},
        trusted_proxies=cfg.trusted_proxies,
        alert_channel_id=cfg.review_alert_channel_id or alert_channel_id,
        lookup_token=cfg.secret("notify_token"),
        role_user_ids=role_ids(cfg.review_role_user_ids),
        role_group_ids=role_ids(cfg.review_role_group_ids),
        hash_key=hash_key,
    )
