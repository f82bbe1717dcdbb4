"""Every setting of dlp-proxy, declared once, typed and documented.

``Settings`` is the only reader of the ``DLP_*`` environment.  Each entry point
(``dlp-proxy run``, ``review``, ``quarantine``, ``archive``, ``policy``) builds
it once with ``load_settings(flags)`` - command-line flags win over the
environment, the environment over the defaults - and passes it down.  A value
that does not parse stops the command with one line naming the variable (or
flag) and exit code 2 (``SettingsError``), never a traceback.

One boolean parser for every switch: ``1/true/yes/on`` and ``0/false/no/off``
(any case); anything else is an error, so a typo never silently means "off".

``docs/configuration.md`` is generated from this model (``dlp-proxy config
docs``); tests/test_settings.py fails when the two differ.

Where things live:

- Configuration: ``DLP_CONFIG_DIR`` if set, else ``./config`` when it holds a
  policy (a checkout), else the defaults installed with the package
  (``dlp_proxy/defaults``, built from the repository's ``config/``).
- Data: ``DLP_DATA_DIR`` (default ``./var``): ``archive/``, ``keys/``,
  ``redis/``, ``uploads/``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

#: a SiteURL path (utils.GetSubpathFromConfig: url.Parse(SiteURL).Path)
_SUBPATH = re.compile(r"(?:/[A-Za-z0-9._~\-]+)+/?")
PACKAGED_CONFIG = Path(__file__).resolve().parent / "defaults"
ENV_PREFIX = "DLP_"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message is one line that
    names the variable (or flag) and says what is expected."""


def parse_bool(value: Any) -> bool:
    """The one boolean parser: 1/true/yes/on, 0/false/no/off (any case)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("expected one of 1/true/yes/on or 0/false/no/off")


Bool = Annotated[bool, BeforeValidator(parse_bool)]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*$", re.I)


def parse_size(value: Any) -> int:
    """``100m``, ``2g``, ``512k``, ``1048576`` (binary units) -> bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        m = _SIZE.match(str(value))
        if not m:
            raise ValueError("expected a size such as 100m, 2g, 512k or a number of bytes")
        size = int(float(m.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[m.group(2).lower()])
    if size <= 0:
        raise ValueError("must be larger than 0")
    return size


Size = Annotated[int, BeforeValidator(parse_size)]


def parse_hostport(value: str, default_host: str = "127.0.0.1") -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep:
        host, port = default_host, value
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected HOST:PORT, got {value!r}")
    return host.strip("[]") or default_host, int(port)


def _listen(value: Any) -> str:
    text = str(value).strip()
    if text.lower() == "off":
        return "off"
    parse_hostport(text)
    return text


Listen = Annotated[str, BeforeValidator(_listen)]


def _mattermost_id(value: Any) -> str:
    text = str(value)
    if not re.fullmatch(r"[a-z0-9]{26}", text):
        raise ValueError("must be a Mattermost id (26 characters a-z0-9)")
    return text


MattermostId = Annotated[str, BeforeValidator(_mattermost_id)]  # model.IsValidId
_ROLE_VALUES = r"^\s*(?:[a-z_]+\s*=\s*[^,;=\s]+(?:\s*,\s*[^,;=\s]+)*\s*(?:;\s*|$))*$"
_ROLE_IDS = r"^\s*(?:[a-z_]+\s*=\s*[a-z0-9]{26}(?:\s*,\s*[a-z0-9]{26})*\s*(?:;\s*|$))*$"


def role_ids(spec: str) -> dict[str, tuple[str, ...]]:
    """``role=id,id;role=id`` -> {role: (id, ...)} (shape checked by the model)."""
    out: dict[str, tuple[str, ...]] = {}
    for part in spec.split(";"):
        if "=" in part:
            role, _, ids = part.partition("=")
            out[role.strip()] = tuple(i.strip() for i in ids.split(",") if i.strip())
    return out


#: a host name as gateway/links.py compares them (lower case, no scheme, no port)
_HOST_NAME = re.compile(r"[a-z0-9](?:[a-z0-9.\-]*[a-z0-9])?")


def _cidrs(value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value or ())
    out = []
    for item in (str(i).strip() for i in items):
        if item:
            ipaddress.ip_network(item, strict=False)  # ValueError names the bad entry
            out.append(item)
    return tuple(out)


class Settings(BaseModel):
    """dlp-proxy's settings.  Each field is the environment variable ``DLP_<NAME>``.

    A plain pydantic model: ``load_settings`` is the one place that maps the
    environment onto it, so an explicit mapping (tests, a worker) is never mixed
    with the process's own environment behind its back."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True, hide_input_in_errors=True)

    # --- where
    upstream: str | None = Field(None, description="Mattermost base URL, e.g. `http://mattermost:8065`, with the path of its `SiteURL` when it has one (`http://mattermost:8065/chat`: routes are matched under `/chat`, a write outside it is refused 404; `run --demo` starts the bundled simulator instead)")
    listen: Listen = Field("127.0.0.1:8080", description="proxy address `HOST:PORT`")
    admin_listen: Listen = Field("127.0.0.1:9090", description="`/metrics`, `/healthz`, `/readyz` (`off` to disable)")
    review_listen: Listen = Field("127.0.0.1:8081", description="reviewer console, never the proxy port (`off` to disable); with `--workers N` only the first worker serves it")
    data_dir: Path = Field(Path("./var"), description="archive, keys, private Redis, upload chunks")
    config_dir: Path | None = Field(None, description="`policy.yaml`, `recognizers.yaml` (default: `./config` in a checkout, else the packaged defaults)")
    redis_url: SecretStr | None = Field(None, description="a shared Redis (`redis://`, `rediss://`, `unix://`, `redis+sentinel://`) for several gateways; unset: a private `redis-server` is started, listening only on the Unix socket `$DLP_DATA_DIR/redis/redis.sock` (mode 0600, in a 0700 directory; a TCP port on 127.0.0.1 only where that path is longer than 107 bytes)")
    redis_server: Path | None = Field(None, description="the `redis-server` binary for the private Redis (default: found on `PATH`)")
    worker_id: str = Field("w0", pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="this process's name in archive file names")
    workers: int = Field(1, ge=1, le=64, description="`run` starts N gateway processes on consecutive ports from the listen port")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="log level")
    event_loop: Literal["asyncio", "uvloop", "auto"] = Field("asyncio", description="`uvloop` (installed separately) or `auto`; see docs/benchmarks.md")
    # --- judging
    scan_deadline: float = Field(5.0, gt=0, description="seconds a request may take to judge before it fails closed (503)")
    file_deadline: float = Field(120.0, gt=0, description="seconds a request carrying files may take to judge")
    max_body: Size = Field(100 * 1024**2, description="largest request body (`100m`, `2g`, bytes); JSON 413 above")
    unknown_write: Literal["inspect", "block", "allow"] = Field("inspect", description="writes that match no route")
    inline_scan_chars: int | None = Field(None, ge=0, description="scan messages up to this many characters (and digits the normalizer counts) on the event loop instead of in a scan worker (default 1024; 0 with `DLP_DETECTOR`); see docs/benchmarks.md")
    detector_cache: Bool = Field(True, description="keep the detector's compiled Hyperscan databases on disk (`DLP_DETECTOR_CACHE_DIR`), so a restart, and a `dlp-proxy quarantine` command that masks a reason, loads them instead of compiling them again (~3-4 s of CPU; each file carries a SHA-256 checked before it is loaded, see `dlp_proxy/detect/hsdb.py`)")
    detector_cache_dir: Path | None = Field(None, description="where `DLP_DETECTOR_CACHE` keeps them (default: `$DLP_DATA_DIR/cache/hyperscan`; created 0700, at most 512 MB, least recently used removed first)")
    detector: str | None = Field(None, pattern=r"^[A-Za-z_][\w.]*(:[A-Za-z_]\w*)?$", description="`module:factory` of another detection engine (same signature as `dlp_proxy.detect.build_detector`)")
    file_workers: int = Field(0, ge=0, le=256, description="processes that open and scan uploaded files (0: one per core)")
    file_worker_nice: int = Field(10, ge=0, le=19, description="how much lower the file workers' CPU priority is than the gateway's")
    uploads_max_total: Size = Field(2 * 1024**3, description="bytes of resumable-upload chunks kept on disk at once")
    mitmproxy_typechecks: Bool = Field(False, description="keep mitmproxy's debug-only check of every HTTP message's field types (~0.1-0.2 ms of CPU per request)")
    scan_workers: int = Field(2, ge=0, le=64, description="processes that scan texts too long or digit-heavy for the event loop; a scan past its deadline kills its worker (0: threads, which a deadline cannot stop)")
    scan_worker_nice: int = Field(19, ge=0, le=19, description="how much lower the text scan workers' CPU priority is than the gateway's (19, the lowest: a busy event loop runs first; see docs/benchmarks.md, \"Hostile load\")")
    worker_scheduling: Literal["normal", "batch", "idle"] = Field("normal", description="Linux scheduling policy of the scan and file workers, on top of their nice values: `batch` (never preempt a woken task) or `idle` (run only when the gateway's own processes leave a core free; starves them on a saturated host); see docs/benchmarks.md")
    user_scan_seconds: float = Field(5.0, gt=0, description="CPU seconds one user's requests may make the gateway spend judging per window (scan workers, and the event loop past 5 ms a request) before 429")
    user_scan_window: float = Field(60.0, gt=0, description="the window of `DLP_USER_SCAN_SECONDS`, in seconds")
    unauthenticated_scan_seconds: float = Field(10.0, ge=0, description="CPU seconds all requests without a Mattermost user together (each client address, an IPv6 /64 counted as one, also has `DLP_USER_SCAN_SECONDS`) may make the gateway spend judging per `DLP_USER_SCAN_WINDOW` before 429 (0: no such cap)")
    max_text_body: Size = Field(4 * 1024**2, description="largest body of a route that carries no files (Mattermost's MaximumPayloadSizeBytes is 300000 by default: match it)")
    max_post_runes: int = Field(16383, ge=1, description="a post's message longer than this is refused before it is scanned (model/post.go PostMessageMaxRunesV2)")
    channel_context_ttl: int = Field(60, ge=1, le=3600, description="seconds a channel's type and context words are cached (a conversion or patch through the gateway drops them at once)")
    post_channel_ttl: int = Field(30, ge=1, le=3600, description="seconds the channel of an edited post is cached (a thread can be moved)")
    split_max_fragments: int = Field(32, ge=2, le=64, description="a new piece of an identifier is joined (in both orders) with up to this many minus one of the channel's most recent distinct earlier pieces, to catch one split across messages, users, fields and files (only texts that may hold a piece count): the per-post cost bound")
    split_window_seconds: int = Field(1800, ge=1, description="seconds a piece stays in the split window")
    recent_context_posts: int = Field(4, ge=0, le=16, description="a short post with a number (256 characters at most) is read with the context words (only the detector's vocabulary, never the text) of up to this many of its channel's latest posts with context words or numbers, back to the last post with a number, within `DLP_RECENT_CONTEXT_SECONDS` (a flat answer to \"what's Jane's SSN?\"); 0: off (docs/architecture.md \"Context across fields\")")
    recent_context_seconds: int = Field(180, ge=1, le=3600, description="seconds a post's context words label the short posts after it in its channel (`DLP_RECENT_CONTEXT_POSTS`)")
    link_previews: Literal["allow", "allowlist", "off"] = Field("allow", description="`allow`: Mattermost makes link previews and readers load remote images as usual (the gateway judges a preview after it is made); `allowlist`: a post (create, edit, patch, scheduled) or incoming webhook holding a link or markdown image on a host not in `DLP_LINK_PREVIEW_HOSTS` is forwarded with `props.unsafe_links` so that Mattermost makes no preview and clients load no image; `off`: any host (docs/architecture.md \"Link previews\")")
    link_preview_hosts: tuple[str, ...] = Field((), description="comma-separated host names whose links keep their previews with `DLP_LINK_PREVIEWS=allowlist` (exact names: list a subdomain on its own)")
    integration_urls: tuple[str, ...] = Field((), description="comma-separated URL prefixes of integrations (interactive buttons and menus, outgoing webhooks, slash commands) whose answers Mattermost may post; a post whose action names any other integration but a plugin route (`/plugins/...`), and an outgoing webhook or slash command registered with any other URL, is refused (docs/architecture.md \"Integration responses\")")
    integration_check_queue: int = Field(1000, ge=1, le=100_000, description="post actions, dialog submissions and commands waiting for the after-the-fact check of what their integration posted; when full, the check is skipped, archived and alerted")
    split_window_bytes: Size = Field(64 * 1024, ge=1024, description="encrypted pieces kept per channel in the split window (the oldest are evicted first; at most 512 pieces)")
    # --- connections
    auth_negative_ttl: int = Field(10, ge=0, description="seconds a token Mattermost refused is remembered (writes with it are refused before their body is read)")
    unauthenticated_max_body: Size = Field(64 * 1024, description="largest body of a write without valid credentials to a route Mattermost may serve without a session")
    max_inflight_bytes: Size = Field(256 * 1024**2, description="request bodies being received or judged, all connections together (503 above)")
    max_inflight_bytes_per_client: Size = Field(64 * 1024**2, description="request bodies being received or judged for one user (or, without valid credentials, one client address); a single request may still take its route's cap (0: no cap; 503 above)")
    max_connections_per_ip: int = Field(256, ge=0, description="open client connections per address, an IPv6 /64 counted as one address (0: no cap); a trusted proxy's own connections are not capped by address, the client address it forwards is (its requests in progress and websockets)")
    max_client_connections: int | None = Field(None, ge=0, description="open client connections in all; a new one above it is closed at once (unset: (RLIMIT_NOFILE - min(1024, RLIMIT_NOFILE/4)) / 3, worked out at start; a value above that is lowered to it; 0: no cap)")
    max_large_bodies_per_client: int = Field(16, ge=0, description="request bodies over 1 MiB (declared, or a route's cap without Content-Length) one user (or, without valid credentials, one client address) may have arriving at once (0: no cap; 503 above)")
    client_header_timeout: float = Field(75.0, gt=0, description="seconds a client has to send complete request headers")
    client_body_timeout: float = Field(60.0, gt=0, description="seconds a body may take to arrive, plus one per `DLP_CLIENT_BODY_MIN_RATE` bytes it declares; also the grace period of the minimum rate")
    client_body_min_rate: Size = Field(16 * 1024, description="bytes per second a body must arrive at, at least: after `DLP_CLIENT_BODY_TIMEOUT` seconds, a body that has received fewer than this many bytes per second since then is closed")
    client_body_idle_timeout: float = Field(30.0, ge=0, description="seconds a body may go without a byte before its connection is closed (0: no idle limit)")
    upstream_timeout: float = Field(60.0, gt=0, description="seconds Mattermost may take to answer before the client gets a JSON 502")
    drain_seconds: float = Field(10.0, ge=0, description="on SIGTERM, time in-flight requests get before they are answered 503")
    trusted_proxies: tuple[str, ...] = Field((), description="comma-separated CIDRs whose forwarding headers are believed (your nginx): the client address of `DLP_CLIENT_IP_HEADER`, `X-Forwarded-Proto`")
    client_ip_header: Literal["x-forwarded-for", "x-real-ip"] = Field("x-forwarded-for", description="how a trusted proxy names the client (per-address limits, the archive, the console's sign-in): `x-forwarded-for` walked from the right past `DLP_TRUSTED_PROXIES` (proxies that append, nginx `$proxy_add_x_forwarded_for`; a client's own `X-Real-IP` is ignored), or `x-real-ip` only if every trusted proxy sets `X-Real-IP` on every request (dlp_proxy/forwarding.py)")
    # --- archive
    archive_content_mode: Literal["encrypted", "masked"] = Field("encrypted", description="content of stopped messages in the archive: envelope-encrypted, or masked only (docs/archive.md)")
    archive_checkpoint_records: int = Field(1000, ge=1, description="a signed checkpoint every N records ...")
    archive_checkpoint_seconds: float = Field(1.0, gt=0, description="... or every T seconds (every record is fsync'd regardless)")
    # --- quarantine and notices
    notify_token: SecretStr | None = Field(None, description="token of a bot/admin with `create_post_ephemeral`: sender notices (unset: none)")
    release_bot_token: SecretStr | None = Field(None, description="releases a held message when its author's credentials expired (default: `DLP_NOTIFY_TOKEN`)")
    sender_actions_url: str | None = Field(None, pattern=r"^https?://[^/?#\s]+/?$", description="base URL at which Mattermost reaches this gateway's proxy listener, e.g. `http://dlp-gateway:8080`: held-message notices get \"Report a false positive\" / \"Request release\" buttons (docs/quarantine.md; unset: no buttons)")
    four_eyes: Bool = Field(False, description="two distinct approvers before a release")
    quarantine_expire_seconds: float = Field(24 * 3600.0, gt=0, description="undecided items are rejected after this")
    quarantine_durability: Literal["aof-check", "trust"] = Field("aof-check", description="`trust` for a managed Redis whose durability is guaranteed elsewhere")
    quarantine_sla: str = Field("high=1h,medium=4h,low=24h", pattern=r"^\s*(?:(?:high|medium|low)\s*=\s*\d+(?:\.\d+)?[smhd]?\s*(?:,\s*|$))*$", description="review deadline per severity (bulk = high, several identifier kinds = medium, one = low); warned at 75 %, overdue after")
    # --- reviewer console
    review_secure_cookies: Bool = Field(True, description="`0` only for a plain-http console on localhost")
    review_break_glass_file: Path | None = Field(None, description="break-glass accounts for the console (docs/quarantine.md)")
    review_api_tokens_file: Path | None = Field(None, description="API tokens for the console's JSON API (docs/quarantine.md)")
    review_context_posts: int = Field(5, ge=0, le=50, description="posts before a held message the console shows, masked, read from Mattermost at view time (`0`: none; docs/quarantine.md)")
    review_alert_channel_id: MattermostId | None = Field(None, description="channel that is told of break-glass sign-ins and lock-outs (default: the policy's alert channel)")
    review_role_user_ids: str = Field("", pattern=_ROLE_IDS, description="console roles for configured Mattermost user ids: `role=id,id;role=id` (docs/quarantine.md)")
    review_role_group_ids: str = Field("", pattern=_ROLE_IDS, description="console roles for synced (LDAP/SAML) group ids: `role=id,id;role=id`")
    review_oidc_issuer: str | None = Field(None, description="OpenID Connect sign-in for the console: the identity provider's issuer URL, exactly as its discovery document spells it (unset: no single sign-on; docs/operations.md)")
    review_oidc_client_id: str | None = Field(None, description="the console's client id at the identity provider")
    review_oidc_client_secret_file: Path | None = Field(None, description="file holding the client secret (unset, and no `DLP_REVIEW_OIDC_CLIENT_SECRET`: a public client, PKCE only)")
    review_oidc_client_secret: SecretStr | None = Field(None, description="the client secret itself (instead of the file)")
    review_oidc_redirect_url: str | None = Field(None, description="the console's callback as registered at the provider: `https://<console host>/oidc/callback`")
    review_oidc_scopes: str = Field("openid email profile", pattern=r"^\s*[\x21\x23-\x5b\x5d-\x7e]+(\s+[\x21\x23-\x5b\x5d-\x7e]+)*\s*$", description="scopes asked for (space-separated; must include `openid`)")
    review_oidc_role_claim: str | None = Field(None, pattern=r"^[A-Za-z0-9_:/-]+(\.[A-Za-z0-9_:/-]+)*$", description="ID-token claim with the person's groups or roles (dotted path for nested claims, e.g. `realm_access.roles`)")
    review_oidc_role_values: str = Field("", pattern=_ROLE_VALUES, description="console roles for values of that claim: `role=value,value;role=value`")
    review_oidc_user_claim: str = Field("email", pattern=r"^[A-Za-z0-9_:/-]+(\.[A-Za-z0-9_:/-]+)*$", description="ID-token claim naming the person's Mattermost account (their principal)")
    review_oidc_user_lookup: Literal["email", "username"] = Field("email", description="how that claim is looked up in Mattermost (with `DLP_NOTIFY_TOKEN`)")
    review_oidc_require_verified_email: Bool = Field(True, description="an e-mail claim counts only with `email_verified: true`")
    review_oidc_mattermost_roles: Bool = Field(True, description="also grant the roles of the Mattermost sources (system roles, synced groups, `DLP_REVIEW_ROLE_*`)")
    review_oidc_ca_file: Path | None = Field(None, description="CA bundle of an identity provider with a private CA")
    review_oidc_label: str = Field("single sign-on", max_length=60, description="the sign-in button says \"Sign in with <label>\"")
    review_sso_header: str | None = Field(None, pattern=r"^[A-Za-z0-9-]{1,64}$", description="behind the firm's SSO proxy: the header it sets with the person's e-mail or username (e.g. `X-Auth-Request-Email`), believed only from `DLP_TRUSTED_PROXIES` (docs/operations.md)")
    review_sso_header_lookup: Literal["email", "username"] = Field("email", description="what that header holds, looked up in Mattermost with `DLP_NOTIFY_TOKEN`")
    review_sso_groups_header: str | None = Field(None, pattern=r"^[A-Za-z0-9-]{1,64}$", description="the SSO proxy's header with the person's groups, comma-separated (e.g. `X-Auth-Request-Groups`)")
    review_sso_role_values: str = Field("", pattern=_ROLE_VALUES, description="console roles for those groups: `role=group,group;role=group`")
    operator_user_id: MattermostId | None = Field(None, description="your Mattermost user id for `dlp-proxy quarantine` decisions (or `--principal`)")
    ready_min_free: Size = Field(64 * 1024**2, description="`/readyz` fails when the archive disk has less free space than this")
    ready_error_window: float = Field(30.0, ge=0, description="`/readyz` fails for this many seconds after an archive write error")
    # --- scheduled compliance export (docs/archive.md)
    export_schedule: str | None = Field(None, description="`daily@HH:MM`, `hourly@:MM` or `every@N(s|m|h)` (UTC); unset: no scheduled export")
    export_format: Literal["actiance", "globalrelay", "csv", "jsonl"] = Field("actiance", description="format of the scheduled export")
    export_dir: Path | None = Field(None, description="destination directory of the scheduled export, or ...")
    export_s3_bucket: str | None = Field(None, description="... an S3 bucket (with `DLP_EXPORT_S3_PREFIX`, `DLP_EXPORT_S3_ENDPOINT_URL`), or ...")
    export_s3_prefix: str = Field("dlp-exports/", description="key prefix in the S3 bucket")
    export_s3_endpoint_url: str | None = Field(None, description="S3 endpoint (an S3-compatible store)")
    export_smtp_host: str | None = Field(None, description="... an SMTP server (Global Relay; STARTTLS required)")
    export_smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port")
    export_smtp_to: str | None = Field(None, description="the archive's ingestion address")
    export_smtp_user: str | None = Field(None, description="SMTP user")
    export_smtp_password: SecretStr | None = Field(None, description="SMTP password")
    export_smtp_cafile: Path | None = Field(None, description="CA bundle that signs the SMTP server's certificate")
    export_token: SecretStr | None = Field(None, description="a Mattermost system account's token: identities for the export")
    export_decrypt: Bool = Field(False, description="stopped posts in clear in the export (the gateway holds the content key)")
    export_worker: str | None = Field(None, description="the gateway worker that runs the export (default: the only one, or `<id>-0` of `--workers`)")
    export_identity_ttl: float = Field(3600.0, gt=0, description="seconds identities looked up for the export are kept")
    export_mattermost_url: str | None = Field(None, description="Mattermost URL for `archive export` identities (default: `DLP_UPSTREAM`)")
    # --- keys (docs/operations.md); each defaults to a file under DLP_DATA_DIR/keys
    archive_signing_key_file: Path | None = Field(None, description="Ed25519 seed that signs archive checkpoints")
    archive_content_key_file: Path | None = Field(None, description="AES-256 key-encryption key for archived content")
    quarantine_master_key_file: Path | None = Field(None, description="AES-256 key-encryption key for held requests")
    hash_key_file: Path | None = Field(None, description="HMAC key for content hashes and allow-listed values")
    archive_signing_key: SecretStr | None = Field(None, description="the signing seed itself, base64 (instead of the file)")
    archive_content_key: SecretStr | None = Field(None, description="the archive content key itself, base64")
    quarantine_master_key: SecretStr | None = Field(None, description="the quarantine master key itself, base64")
    hash_key: SecretStr | None = Field(None, description="the hash key itself, base64")

    @field_validator("upstream")
    @classmethod
    def _upstream(cls, value: str | None) -> str | None:
        from urllib.parse import urlsplit

        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL with a host: {value!r}")
        if parts.query or parts.fragment or parts.username is not None or \
                (parts.path not in ("", "/") and not _SUBPATH.fullmatch(parts.path)):
            raise ValueError("expected scheme://host[:port] and at most a SiteURL path (`/chat`)")
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _trusted(cls, value: Any) -> tuple[str, ...]:
        return _cidrs(value)

    @field_validator("link_preview_hosts", mode="before")
    @classmethod
    def _link_preview_hosts(cls, value: Any) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else list(value or ())
        hosts = tuple(str(i).strip().lower().rstrip(".") for i in items if str(i).strip())
        for host in hosts:
            if not _HOST_NAME.fullmatch(host):
                raise ValueError(f"not a host name: {host!r}")
        return hosts

    @field_validator("integration_urls", mode="before")
    @classmethod
    def _integration_urls(cls, value: Any) -> tuple[str, ...]:
        from urllib.parse import urlsplit

        items = tuple(v.strip() for v in (value.split(",") if isinstance(value, str) else value or ()) if v.strip())
        for item in items:
            parts = urlsplit(item)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None:
                raise ValueError(f"not an http(s) URL with a host: {item!r}")
        return items

    # --- derived values
    def secret(self, name: str) -> str | None:
        value = getattr(self, name)
        return value.get_secret_value() if isinstance(value, SecretStr) and value.get_secret_value() else None

    @property
    def data_path(self) -> Path:
        return self.data_dir.resolve()

    @property
    def detector_cache_path(self) -> Path | None:
        """Where the gateway keeps its compiled Hyperscan databases (None: not on disk)."""
        if not self.detector_cache:
            return None
        return (self.detector_cache_dir or self.data_dir / "cache" / "hyperscan").resolve()

    @property
    def config_path(self) -> Path:
        if self.config_dir is not None:
            return self.config_dir.resolve()
        local = Path("config")
        if (local / "policy.yaml").exists() or (local / "recognizers.yaml").exists():
            return local.resolve()
        repo = Path(__file__).resolve().parent.parent / "config"
        if repo.is_dir():
            return repo
        return PACKAGED_CONFIG

    def export_env(self) -> dict[str, str]:
        """The DLP_EXPORT_* settings as the export scheduler takes them (values
        already typed and checked here; dlp_proxy.archive.export.schedule checks
        that they fit together)."""
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            if name.startswith("export_"):
                value = getattr(self, name)
                if isinstance(value, SecretStr):
                    value = value.get_secret_value() or None
                if value is None:
                    continue
                out[env_name(name)] = ("1" if value else "0") if isinstance(value, bool) else str(value)
        return out

    @property
    def release_token(self) -> str | None:
        return self.secret("release_bot_token") or self.secret("notify_token")

    @property
    def inline_chars(self) -> int:
        if self.inline_scan_chars is not None:
            return self.inline_scan_chars
        # a plug-in detector's worst case is unknown: it always runs in a thread
        return 0 if self.detector else 1024


def upstream_parts(upstream: str) -> tuple[str, str]:
    """(origin, subpath) of a Mattermost base URL: ``http://mm:8065/chat`` ->
    (``http://mm:8065``, ``/chat``).  Requests are forwarded to the origin (their paths
    carry the subpath already); Mattermost serves every route under the subpath, the
    path of its SiteURL (app/server.go ``RootRouter.PathPrefix(subpath)``); "" for none."""
    from urllib.parse import urlsplit

    parts = urlsplit(upstream)
    if not parts.scheme or not parts.netloc:
        return upstream.rstrip("/"), ""  # not a URL (a client with its own base URL): as it is
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


#: variables that were renamed: naming the old one is an error that says the new name
RENAMED = {"DLP_BOT_TOKEN": "DLP_RELEASE_BOT_TOKEN"}


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def load_settings(flags: Mapping[str, Any] | None = None, *, env: Mapping[str, str] | None = None,
                  flag_names: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``flags`` (values that are not None win), then the environment.

    ``env``: an explicit environment (tests); default ``os.environ``.
    ``flag_names``: field -> the flag that set it, for error messages.
    Raises ``SettingsError`` with one line naming the variable or flag.
    """
    import os

    environ = os.environ if env is None else env
    for old, new in RENAMED.items():
        if environ.get(old):
            raise SettingsError(f"{old} was renamed {new}: set {new} instead")
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    try:
        # one path for every source: the environment is read here, as a mapping
        prefixed = {k[len(ENV_PREFIX):].lower(): v for k, v in environ.items() if k.startswith(ENV_PREFIX)}
        known = {k: v for k, v in prefixed.items() if k in Settings.model_fields}
        return Settings.model_validate({**known, **given})
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        names = flag_names or {}
        where = names.get(field, f"--{field.replace('_', '-')}") if field in given else env_name(field)
        message = str(err["msg"]).removeprefix("Value error, ")
        shown = ""
        value = given.get(field, environ.get(env_name(field)))
        if value is not None and not _is_secret(field):
            text = str(value)
            shown = f"={text[:60]!r}" if len(text) <= 60 else f"={text[:57]!r}..."
        raise SettingsError(f"{where}{shown}: {message}") from None


def _is_secret(field: str) -> bool:
    info = Settings.model_fields.get(field)
    return info is not None and "SecretStr" in str(info.annotation)


def from_env() -> Settings:
    """Settings from the environment alone, for library code called without them
    (``dlp-proxy scan``, tests).  Raises SettingsError."""
    return load_settings()


def config_dir() -> Path:
    return from_env().config_path


def data_dir() -> Path:
    return from_env().data_path


def docs_table() -> str:
    """The Markdown table of every variable (docs/configuration.md)."""
    lines = [
        "# Configuration",
        "",
        "Generated from `dlp_proxy/settings.py` by `dlp-proxy config docs`; do not edit by hand.",
        "Every variable is read once, at the start of a command, by every command alike",
        "(`run`, `review`, `quarantine`, `archive`, `policy`); a flag of the same name wins.",
        "A bad value stops the command with one line naming the variable and exit code 2.",
        "Switches accept `1/true/yes/on` and `0/false/no/off`.",
        "",
        "| variable | default | meaning |",
        "|---|---|---|",
    ]
    for name, info in Settings.model_fields.items():
        default = info.default
        if isinstance(default, Path):
            shown = f"`{default}`"
        elif default is None or default == ():
            shown = "unset"
        elif isinstance(default, bool):
            shown = "`1`" if default else "`0`"
        else:
            shown = f"`{default}`"
        lines.append(f"| `{env_name(name)}` | {shown} | {info.description or ''} |")
    lines += ["", "Renamed: " + ", ".join(f"`{o}` is now `{n}`" for o, n in RENAMED.items()) + ".", ""]
    return "\n".join(lines)
