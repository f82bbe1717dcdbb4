"""Where an edited scheduled post will be sent: the stored post's channel and thread.

``PUT /api/v4/posts/schedule/{id}`` carries a whole ``model.ScheduledPost``, but
Mattermost keeps the stored one's place: api4/scheduled_post.go
``updateScheduledPost`` -> app/scheduled_post.go ``UpdateScheduledPost`` ->
model/scheduled_post.go ``RestoreNonUpdatableFields`` puts back ``Id``,
``CreateAt``, ``UserId``, ``ChannelId`` and ``RootId`` (the body's ``channel_id``
is only checked for create_post: ``scheduledPostChecks``), and the scheduled-post
job (app/scheduled_post_job.go ``postScheduledPost``) posts it in that channel.
Judged by the body's ``channel_id``, an edit could name a channel whose policy
allows what the stored channel's forbids.  So the gateway reads the caller's own
scheduled posts (``GET /api/v4/users/me/teams``, then for each team
``GET /api/v4/posts/scheduled/team/{team_id}``, direct and group channels with
the first: api4/scheduled_post.go ``getTeamScheduledPosts``), and judges the edit
in the stored post's channel and thread.  A post it cannot find is the caller's to
edit nowhere (Mattermost answers 404 or 403): refused."""

from __future__ import annotations

import asyncio
from typing import Any

from dlp_proxy import atrest


class NotFound(Exception):
    """The stored scheduled post could not be read: ``status`` is the answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


async def stored_place(upstream: Any, token: str | None, scheduled_id: str, timeout: float) -> tuple[str, str]:
    """``(channel_id, root_id)`` of the caller's scheduled post ``scheduled_id`` as
    Mattermost stores it (both shape-checked ids; root "" when none)."""
    if not atrest.is_id(scheduled_id):
        raise NotFound(400, "the scheduled post id is not a Mattermost id")
    if upstream is None or not token:
        raise NotFound(503, "no Mattermost client or token to read the scheduled post with")
    headers = {"Authorization": f"Bearer {token}"}

    async def get(path: str) -> Any:
        try:
            resp = await asyncio.wait_for(upstream.get(path, headers=headers), timeout)
        except Exception as exc:  # transport errors, a timeout
            raise NotFound(503, f"the scheduled posts could not be read ({type(exc).__name__})") from None
        if resp.status_code != 200:
            status = 503 if resp.status_code >= 500 else 403 if resp.status_code == 401 else resp.status_code
            raise NotFound(status, f"the scheduled posts could not be read (status {resp.status_code})")
        try:
            return resp.json()
        except ValueError:
            raise NotFound(503, "the scheduled posts could not be read (not JSON)") from None

    teams = await get("/api/v4/users/me/teams")
    team_ids = [str(t.get("id", "")) for t in teams if isinstance(t, dict)] if isinstance(teams, list) else []
    for i, team_id in enumerate(t for t in team_ids if atrest.is_id(t)):
        listing = await get(f"/api/v4/posts/scheduled/team/{team_id}"
                            + ("?includeDirectChannels=true" if i == 0 else ""))
        if not isinstance(listing, dict):
            continue
        for posts in listing.values():
            for sp in posts if isinstance(posts, list) else ():
                if isinstance(sp, dict) and sp.get("id") == scheduled_id:
                    channel, root = str(sp.get("channel_id", "")), str(sp.get("root_id") or "")
                    if not atrest.is_id(channel) or (root and not atrest.is_id(root)):
                        raise NotFound(503, "the scheduled post's channel is not a Mattermost id")
                    return channel, root
    raise NotFound(404, "no scheduled post of the caller has that id")
