"""The route table against every v4 write operation Mattermost documents."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from dlp_proxy.gateway.routes import CONTENT_ROUTES, match

TSV = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mattermost-v4-write-operations.tsv"


def _concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "abcdefghijklmnopqrstuvwxyz", template)


def _rows() -> list[dict[str, str]]:
    if not TSV.exists():
        pytest.skip("shared/data is not beside this checkout")
    with TSV.open() as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_every_documented_write_is_classified_and_none_passes_uninspected_by_accident() -> None:
    rows = _rows()
    assert len(rows) >= 400
    counts: dict[str, int] = {}
    for row in rows:
        m = match(row["method"], _concrete(row["path"]).lower())
        counts[m.kind] = counts.get(m.kind, 0) + 1
        if row["method"] in ("POST", "PUT", "PATCH"):
            # a write is inspected (content table or generic) unless it is listed
            # explicitly as carrying no content, with a reason
            assert m.kind in ("content", "unknown_write", "no_content", "denied"), row
            if m.kind == "no_content":
                assert m.reason, row
        else:
            # DELETE and any other method but a body-less GET/HEAD/OPTIONS is judged
            # like a write (a plugin reads a body whatever the method): never
            # forwarded unread
            assert m.kind in ("unknown_write", "no_content", "denied"), row
            if m.kind == "no_content":
                assert m.reason, row
    assert counts["content"] >= 30
    assert counts["unknown_write"] > 0


ISSUE_ROUTES = [
    ("POST", "/api/v4/posts", "posts.create"),
    ("PUT", "/api/v4/posts/{id}", "posts.update"),
    ("PUT", "/api/v4/posts/{id}/patch", "posts.patch"),
    ("POST", "/api/v4/posts/ephemeral", "posts.ephemeral"),
    ("POST", "/api/v4/posts/schedule", "posts.schedule.create"),
    ("PUT", "/api/v4/posts/schedule/{id}", "posts.schedule.update"),
    ("POST", "/api/v4/drafts", "drafts.upsert"),
    ("POST", "/api/v4/posts/{id}/move", "posts.move"),
    ("POST", "/api/v4/files", "files.upload"),
    ("POST", "/api/v4/uploads", "uploads.create"),
    ("POST", "/api/v4/uploads/{id}", "uploads.chunk"),
    ("POST", "/hooks/{id}", "hooks.incoming"),
    ("POST", "/hooks/commands/{id}", "hooks.command_response"),
    ("POST", "/api/v4/commands/execute", "commands.execute"),
    ("POST", "/api/v4/posts/{id}/actions/{action}", "actions.post"),
    ("POST", "/api/v4/actions/dialogs/submit", "actions.dialog_submit"),
    ("POST", "/api/v4/channels", "channels.create"),
    ("PUT", "/api/v4/channels/{id}", "channels.update"),
    ("PUT", "/api/v4/channels/{id}/patch", "channels.patch"),
    ("POST", "/api/v4/channels/{id}/bookmarks", "bookmarks.create"),
    ("PATCH", "/api/v4/channels/{id}/bookmarks/{b}", "bookmarks.patch"),
    ("PUT", "/api/v4/users/{id}", "users.update"),
    ("PUT", "/api/v4/users/{id}/patch", "users.patch"),
    ("PUT", "/api/v4/users/{id}/status/custom", "users.custom_status"),
    ("POST", "/plugins/playbooks/api/v0/runs", "playbooks.post"),
    ("POST", "/plugins/playbooks/api/v0/runs/{id}/status", "playbooks.post"),
]


@pytest.mark.parametrize(("method", "template", "name"), ISSUE_ROUTES)
def test_issue_routes_are_content_routes(method: str, template: str, name: str) -> None:
    m = match(method, _concrete(template))
    assert m.kind == "content" and m.route is not None and m.route.name == name


def test_graphql_is_denied_for_every_method() -> None:
    for method in ("GET", "POST", "PUT"):
        assert match(method, "/api/v5/graphql").kind == "denied"


def test_reads_pass_and_unknown_writes_are_inspected() -> None:
    assert match("GET", "/api/v4/posts/abc").kind == "passthrough"
    assert match("HEAD", "/api/v4/posts").kind == "passthrough"
    assert match("OPTIONS", "/api/v4/posts").kind == "passthrough"
    assert match("POST", "/api/v4/some/new/route").kind == "unknown_write"
    assert match("PUT", "/plugins/com.example.x/api/thing").kind == "unknown_write"


def test_route_names_are_unique_per_method() -> None:
    seen = {(r.method, r.name) for r in CONTENT_ROUTES}
    assert len(seen) == len(CONTENT_ROUTES)
