"""A user's names as Mattermost shows them: joined (atk17p F2).

server/public/model/user.go ``GetFullName`` shows ``FirstName + " " + LastName`` (the
one that is set when only one is), and ``getDisplayName`` / the web app show that full
name, or the nickname (``nickname_full_name``), beside every post of the user, in
``@mentions``, member lists, profile popovers and notifications.  A request that sets
``first_name`` "SSN 536-22" and ``last_name`` "8710 ok" puts a number on screen that
neither field holds: the joined reading is judged like a field (a finding there belongs
to no field of the body: a redact decision becomes a block).

When the request sets only one of the two names, the other is the stored one: read from
Mattermost (``GET /api/v4/users/{id}``, lookups.read_fields) with the caller's token and
then the fallback one; a user id that may not be sent (lookups.sendable) or a user that
cannot be read refuses the request (400/503): fail closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from dlp_proxy.gateway.extract import go_field_name
from dlp_proxy.gateway.lookups import ID, ID_DIGITS, Screen, Unresolved, read_fields, sendable

#: routes that set a user's first or last name, and the path parameter naming the user
#: (api4/user.go createUser, updateUser, patchUser; api4/bot.go convertBotToUser: a
#: model.UserPatch applied to the bot's user).  A bot's display name is one field
#: (model.UserFromBot: its user's first name), judged as it is.
ROUTES: dict[str, str | None] = {
    "users.create": None,
    "users.update": "user_id",
    "users.patch": "user_id",
    "bots.convert_to_user": "bot_user_id",
}
#: at most this many values of one name are combined (a JSON body may repeat a key:
#: Go keeps the last, the gateway reads them all)
MAX_VALUES = 4


def full_name(first: str, last: str) -> str:
    """server/public/model/user.go ``GetFullName``."""
    if first and last:
        return first + " " + last
    return first or last


def _names(items: Iterable[Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"first_name": [], "last_name": [], "nickname": []}
    for item in items:
        top, dot, key = item.path.partition(".")
        name = go_field_name(key) if top == "body" and dot else ""
        if name in out and item.text not in out[name] and len(out[name]) < MAX_VALUES:
            out[name].append(item.text)
    return out


def shown(first: str, last: str, nickname: str) -> list[str]:
    """The renderings of the names that join them: the full name, and the full name with
    the nickname as member lists show it (``Full Name (nickname)``)."""
    full = full_name(first, last)
    out = [full] if first and last else []
    if nickname and full:
        out.append(f"{full} ({nickname})")
    return out


async def readings(route_name: str, params: dict[str, str], items: Sequence[Any], *, upstream: Any,
                   token: str | None, fallback_token: str | None, timeout: float,
                   screen: Screen | None) -> list[tuple[str, str]]:
    """(path, text) of every joined rendering of the names this request sets."""
    param = ROUTES.get(route_name, "")
    if param == "":
        return []
    names = _names(items)
    firsts, lasts, nicks = names["first_name"], names["last_name"], names["nickname"]
    if not firsts and not lasts:
        return []
    if (not firsts or not lasts) and param is not None:
        stored = await _stored(params.get(param, ""), upstream=upstream, token=token,
                               fallback_token=fallback_token, timeout=timeout, screen=screen)
        firsts = firsts or [stored[0]]
        lasts = lasts or [stored[1]]
        nicks = nicks or [stored[2]]
    out: list[tuple[str, str]] = []
    for first in firsts or [""]:
        for last in lasts or [""]:
            for nick in nicks or [""]:
                for text in shown(first, last, nick):
                    if ("body#full_name", text) not in out:
                        out.append(("body#full_name", text))
    return out


async def _stored(user_id: str, *, upstream: Any, token: str | None, fallback_token: str | None,
                  timeout: float, screen: Screen | None) -> tuple[str, str, str]:
    """(first_name, last_name, nickname) Mattermost holds for the user (api4/user.go getUser)."""
    # ("me" is the caller: read with the caller's token only)
    tokens = [t for t in dict.fromkeys((token, fallback_token if user_id != "me" else None)) if t]
    if upstream is None or not tokens:
        raise Unresolved(503, "no Mattermost client or token to read the user's names with")
    if user_id != "me" and not await sendable([user_id], ID, screen, digits=ID_DIGITS):
        raise Unresolved(400, "the user whose name is set cannot be looked up")
    fields = await read_fields(upstream, f"/api/v4/users/{user_id}", ("first_name", "last_name", "nickname"),
                               tokens, timeout, what="the user's names",
                               forbidden="the user whose name is set cannot be read")
    if fields is None:
        raise Unresolved(400, "the user whose name is set does not exist")
    return fields[0], fields[1], fields[2]
