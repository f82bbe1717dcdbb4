"""One settings model for every command: parsed alike by every entry point,
documented from the model, bad values and busy ports as one line with exit 2,
approvals recorded by the CLI and delivered by the running gateway, and no
process left behind by a gateway killed with -9."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from dlp_proxy.cli import build_parser
from dlp_proxy.cli.quarantine import quarantine_cli_settings, review_cli_settings
from dlp_proxy.cli.run import run_settings
from dlp_proxy.settings import (
    RENAMED,
    Settings,
    SettingsError,
    docs_table,
    env_name,
    load_settings,
    parse_bool,
)
from dlp_proxy.wiring import quarantine_settings, review_settings
from tests.conftest import ROOT, Simulator, start_gateway, stop

# A valid, non-default value for every variable (the test fails when a new
# setting is added without one here, so each is exercised).
SAMPLES: dict[str, str] = {
    "upstream": "http://mm.example:8065", "listen": "127.0.0.1:18080", "admin_listen": "off",
    "review_listen": "127.0.0.1:18081", "data_dir": "/tmp/dlp-settings-test", "config_dir": "/tmp/dlp-config-test",
    "redis_url": "redis://127.0.0.1:6379/3", "redis_server": "/usr/bin/redis-server", "worker_id": "edge-1",
    "detector_cache": "off", "detector_cache_dir": "/tmp/dlp-hs-cache-test",
    "workers": "3", "log_level": "DEBUG", "event_loop": "auto", "scan_deadline": "7.5", "file_deadline": "30",
    "max_body": "2m", "unknown_write": "block", "inline_scan_chars": "256", "detector": "tests.faults:faulty_detector",
    "file_workers": "2", "file_worker_nice": "5", "uploads_max_total": "1g", "mitmproxy_typechecks": "yes",
    "upstream_timeout": "12", "drain_seconds": "3", "trusted_proxies": "10.0.0.0/8,::1",
    "archive_content_mode": "masked", "archive_checkpoint_records": "10", "archive_checkpoint_seconds": "0.5",
    "notify_token": "notify-token-sample", "release_bot_token": "release-token-sample", "four_eyes": "true",
    "quarantine_expire_seconds": "600", "quarantine_durability": "trust", "quarantine_sla": "high=30m,low=2d", "review_secure_cookies": "off",
    "review_break_glass_file": "/etc/dlp/bg.json", "review_api_tokens_file": "/etc/dlp/tokens.json", "review_context_posts": "3",
    "archive_signing_key_file": "/k/s", "archive_content_key_file": "/k/c", "quarantine_master_key_file": "/k/q",
    "hash_key_file": "/k/h", "archive_signing_key": "c2lnbg==", "archive_content_key": "Y29udGVudA==",
    "quarantine_master_key": "bWFzdGVy", "hash_key": "aGFzaA==",
    "review_alert_channel_id": "a" * 26, "review_role_user_ids": f"approver={'b' * 26},{'c' * 26};auditor={'d' * 26}",
    "review_role_group_ids": f"reviewer={'e' * 26}", "operator_user_id": "f" * 26, "ready_min_free": "1m",
    "ready_error_window": "5",
    "export_schedule": "daily@02:00", "export_format": "csv", "export_dir": "/tmp/exports", "export_s3_bucket": "b",
    "export_s3_prefix": "p/", "export_s3_endpoint_url": "http://127.0.0.1:9000", "export_smtp_host": "smtp.local",
    "export_smtp_port": "2525", "export_smtp_to": "ingest@archive.example", "export_smtp_user": "u",
    "export_smtp_password": "pw", "export_smtp_cafile": "/etc/ca.pem", "export_token": "tok", "export_decrypt": "1",
    "scan_workers": "3", "scan_worker_nice": "7", "worker_scheduling": "batch", "user_scan_seconds": "9", "user_scan_window": "30", "unauthenticated_scan_seconds": "4",
    "max_text_body": "300000", "max_post_runes": "4000", "auth_negative_ttl": "30", "channel_context_ttl": "15", "post_channel_ttl": "5",
    "split_max_fragments": "20", "split_window_seconds": "600", "split_window_bytes": "32k",
    "recent_context_posts": "3", "recent_context_seconds": "120", "client_ip_header": "x-real-ip",
    "unauthenticated_max_body": "8k",
    "max_inflight_bytes": "64m", "max_inflight_bytes_per_client": "16m", "max_connections_per_ip": "16", "max_client_connections": "500", "max_large_bodies_per_client": "4",
    "client_header_timeout": "20",
    "client_body_timeout": "30", "client_body_min_rate": "4k", "client_body_idle_timeout": "12", "sender_actions_url": "http://dlp-gateway:8080",
    "integration_urls": "https://hooks.example.com/mm/,http://jira-bridge:8000", "integration_check_queue": "50",
    "link_previews": "allowlist", "link_preview_hosts": "docs.example.com,wiki.example.com",
    "export_worker": "w0-0", "export_identity_ttl": "60", "export_mattermost_url": "http://mm.example:8065",
    # OIDC sign-in for the console (review/oidc.py)
    "review_oidc_issuer": "https://idp.example/realms/acme", "review_oidc_client_id": "dlp-review",
    "review_oidc_client_secret_file": "/etc/dlp/oidc-secret", "review_oidc_client_secret": "oidc-secret-sample",
    "review_oidc_redirect_url": "https://review.example/oidc/callback", "review_oidc_scopes": "openid email groups",
    "review_oidc_role_claim": "realm_access.roles", "review_oidc_role_values": "reviewer=dlp-review;admin=dlp-admin",
    "review_oidc_user_claim": "preferred_username", "review_oidc_user_lookup": "username",
    "review_oidc_require_verified_email": "0", "review_oidc_mattermost_roles": "off", "review_oidc_ca_file": "/etc/ca.pem",
    "review_oidc_label": "Acme SSO",
    "review_sso_header": "X-Auth-Request-Email", "review_sso_header_lookup": "username",
    "review_sso_groups_header": "X-Auth-Request-Groups", "review_sso_role_values": "approver=dlp-approvers",
}


def test_every_setting_has_a_sample() -> None:
    assert set(SAMPLES) == set(Settings.model_fields)


def _args(command: list[str]) -> Any:
    return build_parser(command[0]).parse_args(command)


ENTRY_POINTS = {
    "run": lambda: run_settings(_args(["run"])),
    "review": lambda: review_cli_settings(_args(["review"])),
    "quarantine": lambda: quarantine_cli_settings(_args(["quarantine", "list"])),
}


@pytest.mark.parametrize("field", sorted(SAMPLES))
def test_every_entry_point_reads_every_variable_alike(field: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("DLP_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv(env_name(field), SAMPLES[field])
    expected = load_settings(env={env_name(field): SAMPLES[field]})
    assert getattr(expected, field) != getattr(Settings.model_validate({}), field), "the sample must not be the default"
    for entry, build in ENTRY_POINTS.items():
        got = build()
        assert getattr(got, field) == getattr(expected, field), entry
    # and what each part derives from them is the same too
    derived = {entry: (quarantine_settings(build()), review_settings_or_none(build()))
               for entry, build in ENTRY_POINTS.items()}
    assert len({repr(v) for v in derived.values()}) == 1, derived


def review_settings_or_none(cfg: Settings) -> Any:
    try:
        return review_settings(cfg, hash_key=b"k" * 32)
    except OSError:  # the sample token file does not exist: the same failure for all
        return "unreadable"
    except ValueError as exc:  # e.g. an OIDC issuer without its client id: the same refusal for all
        return f"refused: {exc}"


def test_flags_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLP_SCAN_DEADLINE", "9")
    assert run_settings(_args(["run", "--scan-deadline", "2"])).scan_deadline == 2.0
    assert run_settings(_args(["run"])).scan_deadline == 9.0


@pytest.mark.parametrize("text", ["1", "true", "TRUE", "yes", "on", "On"])
def test_one_boolean_parser_true(text: str) -> None:
    assert parse_bool(text) is True
    assert load_settings(env={"DLP_FOUR_EYES": text}).four_eyes is True


@pytest.mark.parametrize("text", ["0", "false", "no", "off", ""])
def test_one_boolean_parser_false(text: str) -> None:
    assert parse_bool(text) is False


@pytest.mark.parametrize("text", ["2", "ture", "enabled", "y"])
def test_a_typo_in_a_switch_is_an_error_not_off(text: str) -> None:
    with pytest.raises(SettingsError, match="DLP_FOUR_EYES"):
        load_settings(env={"DLP_FOUR_EYES": text})


def test_secrets_are_never_echoed() -> None:
    s = load_settings(env={"DLP_NOTIFY_TOKEN": "very-secret-token-value"})
    assert "very-secret" not in repr(s) and "very-secret" not in str(s.model_dump())
    assert s.secret("notify_token") == "very-secret-token-value"


def test_renamed_variable_says_the_new_name() -> None:
    for old, new in RENAMED.items():
        with pytest.raises(SettingsError, match=new):
            load_settings(env={old: "x"})


def test_docs_are_generated_from_the_model() -> None:
    assert (ROOT / "docs" / "configuration.md").read_text() == docs_table(), "run: dlp-proxy config docs > docs/configuration.md"


def _cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("DLP_")}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "dlp_proxy.cli", *args], cwd=ROOT, env=full, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.parametrize("command", [["run", "--demo"], ["review"], ["quarantine", "list"], ["config", "check"]])
@pytest.mark.parametrize(("variable", "value"), [("DLP_SCAN_DEADLINE", "abc"), ("DLP_FOUR_EYES", "maybe"),
                                                 ("DLP_TRUSTED_PROXIES", "not-a-network"), ("DLP_MAX_BODY", "lots"),
                                                 ("DLP_INTEGRATION_URLS", "hooks.example.com/mm")])
def test_bad_values_are_one_line_and_exit_2(command: list[str], variable: str, value: str) -> None:
    out = _cli(*command, env={variable: value})
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and variable in lines[0], out.stderr


def test_help_works_with_a_bad_value() -> None:
    out = _cli("run", "--help", env={"DLP_SCAN_DEADLINE": "abc"})
    assert out.returncode == 0 and "--scan-deadline" in out.stdout


def test_busy_side_port_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        busy = held.getsockname()[1]
        from tests.conftest import free_port

        out = _cli("run", "--demo", "--data-dir", str(tmp_path), "--review-listen", f"127.0.0.1:{busy}",
                   "--listen", f"127.0.0.1:{free_port()}", "--admin-listen", "off", timeout=30)
    assert out.returncode == 2, out.stdout + out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"127.0.0.1:{busy}" in lines[0] and "DLP_REVIEW_LISTEN" in lines[0], out.stderr


# ------------------------------------------------------------ no orphans
def _children(pid: int) -> set[int]:
    """Every descendant of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    out: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - out
        out |= frontier
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_kill9_leaves_no_redis_and_no_worker(simulator: Simulator, tmp_path: Path) -> None:
    gw = start_gateway(simulator, tmp_path / "gw")
    try:
        descendants = _children(gw.proc.pid)
        cmdlines = [Path(f"/proc/{p}/cmdline").read_bytes() for p in descendants if _alive(p)]
        assert any(b"redis-server" in c for c in cmdlines), cmdlines  # its private Redis
        assert any(b"forkserver" in c or b"multiprocessing" in c for c in cmdlines), cmdlines  # file workers
        gw.proc.send_signal(signal.SIGKILL)
        gw.proc.wait(10)
        deadline = time.monotonic() + 10
        while (left := [p for p in descendants if _alive(p)]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert left == [], [Path(f"/proc/{p}/cmdline").read_bytes() for p in left]
    finally:
        stop(gw.proc)


# ------------------------------------------------------------ approvals are state
def _quarantine_cli(gw: Any, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # the operator acts as carol (a Mattermost user who is not the sender)
    return _cli("quarantine", *args, env={"DLP_DATA_DIR": str(gw.data_dir),
                                          "DLP_OPERATOR_USER_ID": gw.sim.ids["users"]["carol"], **(env or {})})


def _hold(gw: Any, text: str) -> str:
    r = httpx.post(f"{gw.url}/api/v4/posts", json={"channel_id": gw.sim.channel("dm_alice_bob"), "message": text},
                   headers={"Authorization": f"Bearer {gw.sim.token('alice')}"}, timeout=30)
    assert r.status_code == 403 and r.json()["id"] == "api.dlp.quarantined.app_error", r.text
    items = json.loads(_quarantine_cli(gw, "list", "--json").stdout)
    return next(i["id"] for i in items if i["request_id"] == r.json()["request_id"])


def _sweeps_after(gw: Any, worker: str = "w0", count: int = 2, timeout: float = 60) -> None:
    """Wait until the gateway has announced itself ``count`` more times: each
    announcement starts a sweep, so the one before the last has finished."""
    url = (gw.data_dir / "redis" / "url").read_text().strip()
    r = redis.Redis.from_url(url)
    seen: list[float] = []
    deadline = time.monotonic() + timeout
    while len(seen) < count + 1 and time.monotonic() < deadline:
        score = r.zscore("dlp:quarantine:deliverers", worker)
        if score is not None and (not seen or score > seen[-1]):
            seen.append(score)
        time.sleep(0.05)
    r.close()
    assert len(seen) >= count + 1, "the gateway did not sweep"


def test_cli_approval_is_released_once_by_the_gateway_and_four_eyes_true_needs_two(
        simulator: Simulator, tmp_path: Path) -> None:
    from dlp_proxy.policy.testing import SSN

    gw = start_gateway(simulator, tmp_path / "gw4", env={"DLP_FOUR_EYES": "true"})
    try:
        marker = f"client SSN {SSN} for the four-eyes test {os.urandom(4).hex()}"
        item = _hold(gw, marker)
        # under four-eyes an approval counts only from a proven principal: carol's own token
        token = tmp_path / "carol.token"
        token.write_text(simulator.token("carol"))
        first = _quarantine_cli(gw, "approve", item, "--reason", "verified by phone", "--token-file", str(token),
                                env={"DLP_FOUR_EYES": "true", "DLP_UPSTREAM": simulator.url})  # fmt: skip
        assert first.returncode == 0, first.stderr
        _sweeps_after(gw)
        listed = {i["id"]: i for i in json.loads(_quarantine_cli(gw, "list", "--json", "--state", "all").stdout)}
        assert listed[item]["state"] == "awaiting_second"
        assert [p for p in simulator.posts() if p.get("message") == marker] == []
    finally:
        stop(gw.proc)

    gw = start_gateway(simulator, tmp_path / "gw1")
    try:
        marker = f"client SSN {SSN} released by the gateway {os.urandom(4).hex()}"
        item = _hold(gw, marker)
        out = _quarantine_cli(gw, "approve", item, "--reason", "verified by phone")
        assert out.returncode == 0 and "no gateway is running" not in out.stderr, out.stderr
        deadline = time.monotonic() + 60
        while not [p for p in simulator.posts() if p.get("message") == marker] and time.monotonic() < deadline:
            time.sleep(0.1)
        _sweeps_after(gw)  # more sweeps release nothing more
        assert len([p for p in simulator.posts() if p.get("message") == marker]) == 1
    finally:
        stop(gw.proc)

    # No gateway running: the CLI says so, and the item stays approved (a shared
    # Redis, so the queue outlives the gateway).
    shared = {"DLP_REDIS_URL": "redis://127.0.0.1:6379/11", "DLP_QUARANTINE_DURABILITY": "trust"}
    redis.Redis.from_url(shared["DLP_REDIS_URL"]).flushdb()
    gw = start_gateway(simulator, tmp_path / "gw0", env=shared)
    try:
        marker = f"client SSN {SSN} approved while no gateway runs {os.urandom(4).hex()}"
        item = _hold_shared(gw, marker, shared)
    finally:
        stop(gw.proc)
    redis.Redis.from_url(shared["DLP_REDIS_URL"]).delete("dlp:quarantine:deliverers")  # none ran recently
    out = _quarantine_cli(gw, "approve", item, "--reason", "verified by phone", env=shared)
    assert out.returncode == 0, out.stderr
    assert "no gateway is running" in out.stderr
    listed = {i["id"]: i for i in json.loads(_quarantine_cli(gw, "list", "--json", "--state", "all", env=shared).stdout)}
    assert listed[item]["state"] == "approved"
    assert [p for p in simulator.posts() if p.get("message") == marker] == []
    redis.Redis.from_url(shared["DLP_REDIS_URL"]).flushdb()


def _hold_shared(gw: Any, text: str, env: dict[str, str]) -> str:
    r = httpx.post(f"{gw.url}/api/v4/posts", json={"channel_id": gw.sim.channel("dm_alice_bob"), "message": text},
                   headers={"Authorization": f"Bearer {gw.sim.token('alice')}"}, timeout=30)
    assert r.status_code == 403 and r.json()["id"] == "api.dlp.quarantined.app_error", r.text
    items = json.loads(_quarantine_cli(gw, "list", "--json", env=env).stdout)
    return next(i["id"] for i in items if i["request_id"] == r.json()["request_id"])
