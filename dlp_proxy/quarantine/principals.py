"""The person behind a Mattermost user id: bots count as their owner.

Self-approval and four-eyes compare *principals*.  A Mattermost token always
resolves to one user (``users/me``): a personal access token to the person who
holds it, a bot's token to the bot user.  A bot is not a person: it is operated
by its owner (``owner_id`` of the bot, set to its creator and changed only by
``POST /bots/{id}/assign/{user_id}``, which refuses another bot as owner;
server/channels/api4/bot.go).  So the principal of a bot user is its owner's id,
and an approver is refused on a message their own bot sent, and counts once when
they approve once in person and once through a token held by their bot.

Lookups: ``GET /api/v4/users/{id}`` (``is_bot``), then for a bot
``GET /api/v4/bots/{id}?include_deleted=true`` (``owner_id``), with the gateway's
notice token (a system admin: ``getBot`` hides other people's bots behind a 404
without ``read_others_bots``).  A bot whose owner cannot be read makes the check
fail closed: the caller refuses the approval.  A bot owned by a plugin (its
``owner_id`` is the plugin id, not a user id) is its own principal.

Whoever controls the sending identity counts as the sender (``controllers``):
the bot's owner, the incoming webhook's owner (``user_id`` of the hook: Mattermost
posts as it, app/webhook.go CreateWebhookPost, whatever token the request carries).
The gateway records them when it holds the message (``sender_controllers``), so
giving the bot to someone else (``POST /bots/{id}/assign/{user_id}``) or deleting
the hook after the hold changes nothing; the approval adds whoever controls it then.
A slash command's response hook (``POST /hooks/commands/{id}``) is never served by
Mattermost (model.CommandWebhook), so the command's creator, who wrote the answer,
cannot be read: such an item is never shown not to be an approver's own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from dlp_proxy.interfaces import QuarantineError

#: how long a resolution is reused (bulk approvals look each principal up once)
CACHE_SECONDS = 60.0


class Unresolvable(QuarantineError):
    """Mattermost could not say whose a bot is (or could not be asked)."""


class PrincipalResolver:
    def __init__(
        self,
        upstream_url: str,
        token: str | None,
        client: Callable[[], httpx.AsyncClient],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.upstream = upstream_url.rstrip("/")
        self.token = token
        self._client = client
        self._clock = clock
        self._cache: dict[str, tuple[str, float]] = {}

    @property
    def can_check(self) -> bool:
        return bool(self.token and self.upstream)

    async def _get(self, path: str) -> tuple[int, Any]:
        try:
            resp = await self._client().get(self.upstream + path, headers={"Authorization": f"Bearer {self.token}"})
        except httpx.HTTPError as exc:
            raise Unresolvable(f"Mattermost unreachable: {type(exc).__name__}") from exc
        try:
            body = resp.json()
        except ValueError:
            body = None
        return resp.status_code, body

    async def resolve(self, user_id: str, *, is_bot: bool | None = None, depth: int = 0) -> str:
        """The principal of ``user_id``.  ``is_bot``: what the caller already knows
        (the gateway's users/me resolution of a held message's sender); with no
        lookup token a known bot cannot be resolved (Unresolvable), an id not known
        to be a bot is taken as a person."""
        from dlp_proxy.quarantine.common import is_mattermost_id

        if not is_mattermost_id(user_id):
            return user_id
        hit = self._cache.get(user_id)
        if hit is not None and hit[1] > self._clock():
            return hit[0]
        if not self.can_check:
            if is_bot:
                raise Unresolvable("the sender is a bot and no Mattermost token is configured to read its owner "
                                   "(DLP_NOTIFY_TOKEN)")  # fmt: skip
            return user_id
        status, user = await self._get(f"/api/v4/users/{user_id}")
        if status == 404 and not is_bot:
            principal = user_id  # not (or no longer) a user: nobody else is behind it
        elif status != 200 or not isinstance(user, dict):
            raise Unresolvable(f"Mattermost answered {status} to the user lookup")
        elif not (user.get("is_bot") or is_bot):
            principal = user_id
        else:
            status, bot = await self._get(f"/api/v4/bots/{user_id}?include_deleted=true")
            if status != 200 or not isinstance(bot, dict):
                raise Unresolvable(f"a bot's owner could not be read (Mattermost answered {status} to GET /bots)")
            owner = bot.get("owner_id")
            if is_mattermost_id(owner) and owner != user_id and depth < 3:
                principal = await self.resolve(str(owner), depth=depth + 1)
            else:
                principal = user_id  # owned by a plugin: no person behind it
        self._cache[user_id] = (principal, self._clock() + CACHE_SECONDS)
        return principal

    async def hook_owner(self, hook_id: str) -> str:
        """The principal behind an incoming webhook: its creator (``user_id`` of
        ``GET /api/v4/hooks/incoming/{id}``; Mattermost posts as the hook's creator,
        app/webhook.go CreateWebhookPost), bots resolved to their owners.  A hook
        that cannot be read makes the check fail closed (Unresolvable)."""
        from dlp_proxy.quarantine.common import is_mattermost_id

        if not is_mattermost_id(hook_id):
            raise Unresolvable("the webhook's id is not a Mattermost id")
        if not self.can_check:
            raise Unresolvable("no Mattermost token is configured to read the webhook's creator (DLP_NOTIFY_TOKEN)")
        status, hook = await self._get(f"/api/v4/hooks/incoming/{hook_id}")
        creator = hook.get("user_id") if isinstance(hook, dict) else None
        if status != 200 or not is_mattermost_id(creator):
            raise Unresolvable(f"the webhook's creator could not be read (Mattermost answered {status})")
        return await self.resolve(str(creator))

    async def controllers(self, *, sender_id: str, is_bot: bool, hook_id: str, route: str) -> tuple[list[str], str]:
        """Everyone who controls the identity a message was sent as, read when it is
        held: (principals, why they are not all known -- "" when they are).  The sender
        itself; a bot's owner (resolved); an incoming webhook's owner (resolved), also
        when the request carried someone's token (Mattermost ignores it and posts as
        the hook's user).  A command response hook's command creator cannot be read,
        nor anything once a lookup fails: the reason says so and the caller fails closed."""
        found: list[str] = []
        unknown: list[str] = []
        if sender_id:
            found.append(sender_id)
            if is_bot:
                try:
                    found.append(await self.resolve(sender_id, is_bot=True))
                except Unresolvable as exc:
                    unknown.append(f"bot owner: {exc}")
        if route == "hooks.command_response":
            unknown.append("a slash command's response: its command's creator cannot be read from Mattermost")
        elif hook_id:
            try:
                found.append(await self.hook_owner(hook_id))
            except Unresolvable as exc:
                unknown.append(f"webhook owner: {exc}")
        if not sender_id and not hook_id:
            unknown.append("no sender")
        return list(dict.fromkeys(found)), "; ".join(unknown)
