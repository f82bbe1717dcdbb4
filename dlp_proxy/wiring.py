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
    from dlp_proxy.review.context import ContextSettings
    from dlp_proxy.review.oidc import HeaderAuthSettings, OidcSettings


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
        client_ip_header=cfg.client_ip_header,
        alert_channel_id=cfg.review_alert_channel_id or alert_channel_id,
        lookup_token=cfg.secret("notify_token"),
        role_user_ids=role_ids(cfg.review_role_user_ids),
        role_group_ids=role_ids(cfg.review_role_group_ids),
        hash_key=hash_key,
        oidc=oidc_settings(cfg),
        sso_header=sso_header_settings(cfg),
    )


def sso_header_settings(cfg: Settings) -> HeaderAuthSettings | None:
    """Identity headers of the firm's SSO proxy (review/oidc.py HeaderSignIn)."""
    from dlp_proxy.review.oidc import HeaderAuthSettings
    from dlp_proxy.settings import role_ids

    if not cfg.review_sso_header:
        return None
    return HeaderAuthSettings(header=cfg.review_sso_header, lookup=cfg.review_sso_header_lookup,
                              groups_header=cfg.review_sso_groups_header,
                              role_values=role_ids(cfg.review_sso_role_values))  # fmt: skip


def oidc_settings(cfg: Settings) -> OidcSettings | None:
    """The console's OpenID Connect client (review/oidc.py), or None when
    DLP_REVIEW_OIDC_ISSUER is unset.  ValueError names what is missing; OSError
    when the secret file cannot be read."""
    from dlp_proxy.review.oidc import OidcSettings
    from dlp_proxy.settings import role_ids

    if not cfg.review_oidc_issuer:
        return None
    if not cfg.review_oidc_client_id or not cfg.review_oidc_redirect_url:
        raise ValueError("DLP_REVIEW_OIDC_ISSUER needs DLP_REVIEW_OIDC_CLIENT_ID and DLP_REVIEW_OIDC_REDIRECT_URL")
    secret = cfg.secret("review_oidc_client_secret")
    if secret is None and cfg.review_oidc_client_secret_file is not None:
        secret = cfg.review_oidc_client_secret_file.read_text().strip() or None
    return OidcSettings(
        issuer=cfg.review_oidc_issuer,
        client_id=cfg.review_oidc_client_id,
        client_secret=secret,
        redirect_url=cfg.review_oidc_redirect_url,
        scopes=tuple(cfg.review_oidc_scopes.split()),
        role_claim=cfg.review_oidc_role_claim,
        role_values=role_ids(cfg.review_oidc_role_values),
        user_claim=cfg.review_oidc_user_claim,
        user_lookup=cfg.review_oidc_user_lookup,
        require_verified_email=cfg.review_oidc_require_verified_email,
        mattermost_roles=cfg.review_oidc_mattermost_roles,
        ca_file=cfg.review_oidc_ca_file,
        label=cfg.review_oidc_label,
    )


def context_settings(cfg: Settings) -> ContextSettings:
    """The console's decision context (review/context.py): how many posts before
    a held one it shows, read from Mattermost with the bot's token."""
    from dlp_proxy.review.context import ContextSettings

    return ContextSettings(posts=cfg.review_context_posts, token=cfg.secret("notify_token"))
