"""A post's ``~channel`` and ``@user`` mentions as the web app shows them: with names.

The web app renders ``~town-square`` as a link whose text is ``~`` and the channel's
*display name* (webapp/channels/src/utils/text_formatting.tsx
``autolinkChannelMentions``: the pattern ``\\B(~([a-z0-9.\\-_]*))`` case-insensitive,
the name lower-cased and looked up in ``channelNamesMap``; when it is not there,
trailing punctuation is cut off one character at a time while the last character is
punctuation (``[^\\p{L}\\d]``) and the rest is looked up again, the cut part shown
after the link).  It renders ``@bob`` as ``@`` and the user's username, nickname or
full name by the reader's teammate name display setting (components/at_mention,
server/public/model/user.go ``GetDisplayName``); a bot's display name is its user's
first name (model/bot.go ``UserFromBot``).  So three channels or users shown as
``536``, ``22`` and ``8710`` turn ``client SSN ~a - ~b - ~c`` (no digit in it) into
``client SSN ~536 - ~22 - ~8710`` for every reader.

``rendered_mentions`` gives each text of a post that holds a mention more readings,
the text with each mention replaced as the web app replaces it (per team, per name
display setting, with and without the links' sigils), judged like the text itself (a
finding there belongs to no field: a redact decision for it becomes a block).
Channel names are resolved in the team of the post's channel
(``GET /api/v4/teams/{team_id}/channels/name/{name}``, api4/channel.go
``getChannelByName``), user names with one ``POST /api/v4/users/usernames``
(api4/user.go ``getUsersByUsernames``), with the caller's token and then the gateway's
fallback token (a private channel the readers belong to and the writer left).  A
post with no team (direct and group messages) is read in each of the caller's teams
(``GET /api/v4/users/me/teams``; the web app resolves mentions in the reader's
current team), at most ``MAX_TEAMS``.  Incoming webhook and slash command response
posts carry no caller token: read with the fallback token when there is one
(``applies``).  Names are kept in process memory only, for ``CACHE_SECONDS`` (never
in Redis, never logged).

Bounded: at most ``MAX_LOOKUPS`` lookups per request (each channel mention tries its
name and its punctuation-stripped prefixes, a lookup each; every user name not cached
is read in one request, at most ``MAX_USER_NAMES`` names); more is refused (400), as is a
lookup Mattermost does not answer (503): fail closed.  A name with a run of digits
(``lookups.digit_named``: ``~250000``, ``~q3-2025-12-05``) is looked up only once the
request, read without it, was decided to be forwarded (the pipeline calls again with
``numbered``): allowed with no finding, or forwarded with findings, then in its texts
as forwarded (masked by a redact decision: a name the masking takes out is never
sent; ``pipeline._forwarded_texts``).  The post then reaches Mattermost with the name
in it anyway; a request stopped on its own findings (a label in another field, a
piece in the channel's split window) or held never sends it.  Reading such a name as
no channel whatever the text held let three channels named with digit runs and shown
as ``536``, ``22`` and ``8710`` through (beside a masked SSN too).

The other way round (a name changed after the post) cannot be judged by reading the
post: ``display_name_refusal`` refuses a channel, bookmark, team or bot display name
or a user's nickname, first or last name that has a digit and no visible letter (``536``,
``22-8710``, ``536ㅤ`` with a blank Hangul filler, ``536ǃ`` with a click letter that shows
``!``, ``536ㅡ`` with a Hangul vowel drawn as a dash), which is what a name must be to make
a number out of mentions that the detector cannot see.  A name with letters (``Desk 536``) is allowed: its mentions are
read with it from then on, but posts made before the rename are not judged again
(docs/detection.md "Mentions").
"""

from __future__ import annotations

import asyncio
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from dlp_proxy import atrest
from dlp_proxy.detect import normalize
from dlp_proxy.gateway.extract import go_field_name
from dlp_proxy.gateway.lookups import (
    CHANNEL_NAME,
    NAME_DIGITS,
    RESTRICTED_USERNAMES,
    USERNAME,
    Screen,
    TtlCache,
    Unresolved,
    digit_named,
    long_number,
    sendable,
)

#: text_formatting.tsx autolinkChannelMentions: ``/\B(~([a-z0-9.\-_]*))/gi``
_MENTION = re.compile(r"(?<![A-Za-z0-9_])~([A-Za-z0-9.\-_]*)")
#: a channel name Mattermost can have (model.IsValidChannelIdentifier, lookups.CHANNEL_NAME);
#: the web app's map is keyed by such names, so nothing else resolves
_CHANNEL_NAME = CHANNEL_NAME
#: names looked up for one request (more: refused)
MAX_LOOKUPS = 32
#: user names read for one request, all in one ``POST /api/v4/users/usernames`` (more: refused)
MAX_USER_NAMES = 512
#: teams a post without a team (direct or group message) is read in
MAX_TEAMS = 4
#: seconds a resolved display name (or its absence) is trusted in process memory
CACHE_SECONDS = 30.0
#: entries of that cache (a full reset when it is reached)
CACHE_MAX = 4096
#: the routes whose texts the web app formats as a post (message and attachments)
ROUTES = frozenset({"posts.create", "posts.update", "posts.patch", "posts.schedule.create",
                    "posts.schedule.update", "drafts.upsert"})
#: posts made with no caller token (web/webhook.go incomingWebhook, commandWebhook):
#: read only with the gateway's fallback token (docs/detection.md "Mentions")
TOKENLESS_ROUTES = frozenset({"hooks.incoming", "hooks.command_response"})


def applies(route_name: str, fallback_token: str | None) -> bool:
    """Whether the route's texts are read with their mentions shown."""
    return route_name in ROUTES or (route_name in TOKENLESS_ROUTES and bool(fallback_token))


def _punctuation(ch: str) -> bool:
    """``/[^\\p{L}\\d]/u`` (``\\d`` is ASCII in JavaScript)."""
    return not (unicodedata.category(ch).startswith("L") or ch in "0123456789")


def candidates(text: str) -> list[tuple[int, int, list[str]]]:
    """(start, end, names to try in order) of every mention in ``text``: the whole
    lower-cased name, then each prefix left when trailing punctuation is cut off."""
    out = []
    for m in _MENTION.finditer(text):
        raw = m.group(1)
        if not raw:
            continue
        name = raw.lower()
        tries = [name]
        while name and _punctuation(name[-1]):
            name = name[:-1]
            if name:
                tries.append(name)
        tries = [t for t in tries if _CHANNEL_NAME.fullmatch(t)]
        if tries:
            out.append((m.start(), m.end(), tries))
    return out


def render(text: str, names: Callable[[str], str | None]) -> str | None:
    """``text`` with its mentions shown as the web app shows them, or None when no
    mention resolves (the text reads as it is)."""
    parts: list[str] = []
    pos = 0
    changed = False
    for start, end, tries in candidates(text):
        full = text[start + 1:end]
        for t in tries:
            shown = names(t)
            if shown is not None:
                parts.append(text[pos:start])
                parts.append("~" + shown + full[len(t):])  # the cut punctuation after the link
                pos = end
                changed = True
                break
    if not changed:
        return None
    parts.append(text[pos:])
    return "".join(parts)


#: text_formatting.tsx autolinkAtMentions, Constants.MENTIONS_REGEX
#: ``/(?:\B|\b_+)@([a-z0-9.\-_]+)/gi`` (read a little wider here: any ``@`` not right
#: after an ASCII letter or digit)
_AT_MENTION = re.compile(r"(?<![A-Za-z0-9])@([A-Za-z0-9.\-_]+)")
#: a username Mattermost can have (model.IsValidUsername, lookups.USERNAME)
_USERNAME = USERNAME
#: shown as they are (app/user.go, Constants.SPECIAL_MENTIONS): no user has these names
_SPECIAL = frozenset({"all", "channel", "here"})
#: the teammate name display settings (model.ShowUsername, ShowNicknameFullName,
#: ShowFullName); each reader may see any of them (a user preference overrides the
#: system default), so the post is read with each
NAME_SETTINGS = ("username", "nickname_full_name", "full_name")


def user_candidates(text: str) -> list[tuple[int, int, list[str]]]:
    """(start, end, names to try in order) of every ``@user`` mention: the whole
    lower-cased name, then each prefix left when a trailing ``.``, ``-`` or ``_`` is
    cut off (components/at_mention getUserOrGroupFromMentionName)."""
    out = []
    for m in _AT_MENTION.finditer(text):
        name = m.group(1).lower()
        tries = [name]
        while name and name[-1] in "._-":
            name = name[:-1]
            if name:
                tries.append(name)
        tries = [t for t in tries if _USERNAME.fullmatch(t) and t not in _SPECIAL]
        if tries:
            out.append((m.start(), m.end(), tries))
    return out


def shown_user_name(user: tuple[str, str, str, str], setting: str) -> str:
    """model.User.GetDisplayName (webapp displayUsername): (username, nickname,
    first_name, last_name) as a reader with ``setting`` sees it."""
    username, nickname, first, last = user
    full = " ".join(p for p in (first, last) if p)
    if setting == "nickname_full_name":
        return nickname or full or username
    if setting == "full_name":
        return full or username
    return username


def render_all(text: str, channels: Callable[[str], str | None], users: Callable[[str], str | None], *,
               sigils: bool = True) -> str | None:
    """``text`` with its ``~channel`` and ``@user`` mentions shown as the web app
    shows them (one pass: a shown name is never read as a mention again), or None
    when nothing changes.  ``sigils=False``: the names without the ``~`` or ``@`` the
    link starts with (the detector reads ``@536 - @22 - @8710`` as no number, a
    reader sees one)."""
    spans = [(s, e, t, "~", channels) for s, e, t in candidates(text)]
    spans += [(s, e, t, "@", users) for s, e, t in user_candidates(text)]
    spans.sort(key=lambda x: x[0])
    parts: list[str] = []
    pos = 0
    for start, end, tries, sigil, names in spans:
        if start < pos:
            continue
        full = text[start + 1:end]
        for t in tries:
            shown = names(t)
            if shown is not None:
                parts.append(text[pos:start])
                parts.append((sigil if sigils else "") + shown + full[len(t):])  # the cut punctuation after the link
                pos = end
                break
    parts.append(text[pos:])
    out = "".join(parts)
    return out if out != text else None


class DisplayNames:
    """Display names of channels by (team, name) and users by name, in process memory for
    ``CACHE_SECONDS`` (two ``lookups.TtlCache``s of ``CACHE_MAX`` entries each)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._channels: TtlCache[tuple[str, str], str | None] = TtlCache(CACHE_SECONDS, CACHE_MAX, clock)
        self._users: TtlCache[str, tuple[str, str, str, str] | None] = TtlCache(CACHE_SECONDS, CACHE_MAX, clock)

    def cached(self, team_id: str, name: str) -> tuple[bool, str | None]:
        return self._channels.cached((team_id, name))

    def remember(self, team_id: str, name: str, display: str | None) -> None:
        self._channels.remember((team_id, name), display)

    def forget_channels(self) -> None:
        """A channel was renamed (or may have been): every channel's display name is read
        afresh.  Keyed by name, the cache cannot tell which entry the renamed channel's id
        is, and renames are rare."""
        self._channels.clear()

    def cached_user(self, name: str) -> tuple[bool, tuple[str, str, str, str] | None]:
        return self._users.cached(name)

    def remember_user(self, name: str, user: tuple[str, str, str, str] | None) -> None:
        self._users.remember(name, user)


_DEFAULT = DisplayNames()


def forget_channel_names() -> None:
    """The process's channel display names are read afresh (a write that may rename a
    channel: ``pipeline.channel_changed``; insider attack of 2026-12-07 B5: a post sent
    within ``CACHE_SECONDS`` of a rename was read with the names as they were)."""
    _DEFAULT.forget_channels()


async def _lookup(upstream: Any, team_id: str, name: str, tokens: Sequence[str], timeout: float) -> str | None:
    """The display name of channel ``name`` of the team, read with the first token that
    may read it; None when none can (no such channel for anyone who tried)."""
    for token in tokens:
        try:
            resp = await asyncio.wait_for(upstream.get(f"/api/v4/teams/{team_id}/channels/name/{name}",
                                                       headers={"Authorization": f"Bearer {token}"}), timeout)
        except Exception as exc:  # transport errors, a timeout
            raise Unresolved(503, f"a channel mention could not be resolved ({type(exc).__name__})") from None
        if resp.status_code in (401, 403, 404):
            continue
        if resp.status_code != 200:
            raise Unresolved(503, f"a channel mention could not be resolved (status {resp.status_code})")
        try:
            body = resp.json()
        except ValueError:
            raise Unresolved(503, "a channel mention could not be resolved (not JSON)") from None
        shown = body.get("display_name") if isinstance(body, dict) else None
        return shown if isinstance(shown, str) else ""
    return None


async def _teams(upstream: Any, token: str, timeout: float) -> list[str]:
    try:
        resp = await asyncio.wait_for(upstream.get("/api/v4/users/me/teams",
                                                   headers={"Authorization": f"Bearer {token}"}), timeout)
    except Exception as exc:
        raise Unresolved(503, f"the caller's teams could not be read ({type(exc).__name__})") from None
    if resp.status_code != 200:
        raise Unresolved(503 if resp.status_code >= 500 else 403,
                         f"the caller's teams could not be read (status {resp.status_code})")
    try:
        teams = resp.json()
    except ValueError:
        raise Unresolved(503, "the caller's teams could not be read (not JSON)") from None
    ids = [str(t.get("id", "")) for t in teams if isinstance(t, dict)] if isinstance(teams, list) else []
    return [t for t in ids if atrest.is_id(t)][:MAX_TEAMS]


def _user_tuple(body: Any) -> tuple[str, tuple[str, str, str, str]] | None:
    if not isinstance(body, dict) or not isinstance(body.get("username"), str):
        return None
    fields = [body.get(k) for k in ("nickname", "first_name", "last_name")]
    return body["username"], (body["username"], *(f if isinstance(f, str) else "" for f in fields))  # type: ignore[return-value]


async def _lookup_users(upstream: Any, names: list[str], tokens: Sequence[str],
                        timeout: float) -> dict[str, tuple[str, str, str, str]]:
    """(username, nickname, first, last) of each of ``names`` some token can see
    (``POST /api/v4/users/usernames``, api4/user.go getUsersByUsernames: unknown or
    unseen names are left out)."""
    found: dict[str, tuple[str, str, str, str]] = {}
    for token in tokens:
        wanted = [n for n in names if n not in found]
        if not wanted:
            break
        try:
            resp = await asyncio.wait_for(upstream.post("/api/v4/users/usernames", json=wanted,
                                                        headers={"Authorization": f"Bearer {token}"}), timeout)
        except Exception as exc:
            raise Unresolved(503, f"a user mention could not be resolved ({type(exc).__name__})") from None
        if resp.status_code in (401, 403, 404):
            continue
        if resp.status_code != 200:
            raise Unresolved(503, f"a user mention could not be resolved (status {resp.status_code})")
        try:
            users = resp.json()
        except ValueError:
            raise Unresolved(503, "a user mention could not be resolved (not JSON)") from None
        for body in users if isinstance(users, list) else []:
            got = _user_tuple(body)
            if got is not None and got[0].lower() in wanted:
                found[got[0].lower()] = got[1]
    return found


def has_numbered_names(texts: Iterable[str]) -> bool:
    """Whether a mention in ``texts`` names a channel or user with a digit run that
    ``rendered_mentions`` looks up only with ``numbered`` (shape and digits only: the
    detector's screen is applied when they are looked up)."""
    for t in texts:
        if "~" in t and any(CHANNEL_NAME.fullmatch(n) and long_number(n, NAME_DIGITS)
                            for _, _, tries in candidates(t) for n in tries):
            return True
        if "@" in t and any(USERNAME.fullmatch(n) and n not in RESTRICTED_USERNAMES and long_number(n, NAME_DIGITS)
                            for _, _, tries in user_candidates(t) for n in tries):
            return True
    return False


async def rendered_mentions(texts: Iterable[tuple[str, str]], *, team_id: str | None, upstream: Any,
                            token: str | None, fallback_token: str | None, timeout: float,
                            cache: DisplayNames | None = None, screen: Screen | None = None,
                            numbered: bool = False) -> list[tuple[str, str]]:
    """(path, text as shown) for each (path, text) of a post that holds a mention that
    resolves to a channel or a user: one reading per team the post is read in, per
    teammate name display setting (``NAME_SETTINGS``) and with and without the links'
    sigils, each distinct one once.  Only names ``lookups.sendable`` keeps are looked
    up (``screen``: the detector); any other reads as no channel or user.  Names with
    a digit run (``lookups.digit_named``) are looked up too only with ``numbered``:
    the pipeline asks for them once the request, read without them, was decided to
    be forwarded, with its texts as forwarded (``has_numbered_names``)."""
    texts = [(p, t) for p, t in texts if ("~" in t and candidates(t)) or ("@" in t and user_candidates(t))]
    if not texts:
        return []
    token = token or fallback_token
    if upstream is None or not token:
        raise Unresolved(503, "no Mattermost client or token to resolve mentions with")
    cache = cache or _DEFAULT
    tokens = [token] + ([fallback_token] if fallback_token and fallback_token != token else [])
    lookups = 0

    def spend(n: int = 1) -> None:
        nonlocal lookups
        lookups += n
        if lookups > MAX_LOOKUPS:
            raise Unresolved(400, f"more than {MAX_LOOKUPS} mentions to resolve in one post")

    user_tries = [n for _, t in texts for _, _, tries in user_candidates(t) for n in tries]
    channel_tries = [n for _, t in texts for _, _, tries in candidates(t) for n in tries]
    # a name with a run of digits (``~250000``, ``~q3-2025-12-05``) only once the request
    # was decided to be forwarded without it, in its texts as forwarded: the post then
    # reaches Mattermost with the name in it anyway, so the lookup shows Mattermost
    # nothing new (module docstring)
    extra = ((await digit_named(channel_tries, CHANNEL_NAME, screen),
              await digit_named(user_tries, USERNAME, screen, excluded=RESTRICTED_USERNAMES))
             if numbered else ([], []))
    # users: one request for every name not cached (a user's names are the same in every team)
    user_names = [*await sendable(user_tries, USERNAME, screen, excluded=RESTRICTED_USERNAMES), *extra[1]]
    users: dict[str, tuple[str, str, str, str] | None] = {}
    missing = []
    for name in user_names:
        hit, value = cache.cached_user(name)
        if hit:
            users[name] = value
        else:
            missing.append(name)
    if missing:
        # one request reads them all: it costs one lookup, up to MAX_USER_NAMES names
        # (a fills list writes a price after each @: ``100 @189.50``, 33 of them were refused)
        if len(missing) > MAX_USER_NAMES:
            raise Unresolved(400, f"more than {MAX_USER_NAMES} user mentions to resolve in one post")
        spend()
        found = await _lookup_users(upstream, missing, tokens, timeout)
        for name in missing:
            users[name] = found.get(name)
            cache.remember_user(name, users[name])
    # channels: in the post's team, or each of the caller's teams for a direct message
    wanted = [*await sendable(channel_tries, CHANNEL_NAME, screen), *extra[0]]
    teams: list[str] = [""]
    resolved: dict[tuple[str, str], str | None] = {}
    if wanted:
        if team_id and atrest.is_id(team_id):
            teams = [team_id]
        else:
            teams = await _teams(upstream, token, timeout) or [""]
        for team in teams:
            for name in wanted:
                if not team:
                    continue
                hit, shown = cache.cached(team, name)
                if not hit:
                    spend()
                    shown = await _lookup(upstream, team, name, tokens, timeout)
                    cache.remember(team, name, shown)
                resolved[(team, name)] = shown
    out: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for team in teams:
        for setting in NAME_SETTINGS:
            def user_shown(n: str, setting: str = setting) -> str | None:
                u = users.get(n)
                return None if u is None else shown_user_name(u, setting)

            for path, text in texts:
                for sigils in (True, False):
                    shown_text = render_all(text, lambda n, team=team: resolved.get((team, n)),  # type: ignore[misc]
                                            user_shown, sigils=sigils)
                    if shown_text is not None and (path, shown_text) not in seen:
                        seen.add((path, shown_text))
                        out.append((path, shown_text))
    return out


#: the fields of each route that set a name shown wherever it is mentioned or listed:
#: channels (api4/channel.go createChannel, updateChannel, patchChannel), bookmarks
#: (channel_bookmark.go), teams (api4/team.go createTeam, updateTeam, patchTeam: the
#: team sidebar and switcher), users (api4/user.go createUser, updateUser, patchUser:
#: ``@name`` shows the nickname or full name by the teammate name display setting,
#: model.User.GetDisplayName) and bots (api4/bot.go createBot, patchBot: the display
#: name is the bot user's first name, model.UserFromBot; convertBotToUser takes a
#: model.UserPatch)
_USER_NAMES = frozenset({"nickname", "first_name", "last_name"})
DISPLAY_NAME_FIELDS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("channels.create", "channels.update", "channels.patch", "bookmarks.create", "bookmarks.patch",
                     "teams.create", "teams.update", "teams.patch", "bots.create", "bots.patch"),
                    frozenset({"display_name"})),
    **dict.fromkeys(("users.create", "users.update", "users.patch", "bots.convert_to_user"), _USER_NAMES),
}
DISPLAY_NAME_ROUTES = frozenset(DISPLAY_NAME_FIELDS)


def visible_letter(ch: str) -> bool:
    """A letter a reader sees as a letter: category ``L*``, and neither a
    Default_Ignorable_Code_Point (the Hangul fillers U+115F, U+1160, U+3164, U+FFA0 are
    ``Lo`` letters that render blank) nor a letter that shows as punctuation, a dash, a bar
    or a dot (``ǃ`` U+01C3 like ``!``, Hangul ``ㅡ`` like ``—``, ``ᐨ``, ``ㆍ``, the numeral ``一``:
    detect/normalize.py ``separator_letters``, the letters the detector reads as a separator
    between digits)."""
    return (unicodedata.category(ch).startswith("L") and not normalize._ignorable(ch)
            and ch not in normalize.separator_letters())


def _digit(ch: str) -> bool:
    return (unicodedata.category(ch) == "Nd" or unicodedata.digit(ch, None) is not None
            or unicodedata.numeric(ch, None) is not None)


def digits_only(text: str) -> bool:
    """A display name with a digit (any script: ``Nd`` and digit-valued ``No``) and no
    visible letter (``536ㅤ`` with a Hangul filler shows ``536``).  A letter drawn as a
    digit (``normalize.letter_digits``: Cyrillic ``З`` 3, ``ƻ`` 2) is a digit to its
    reader, and so is an ASCII one (``l`` ``O``) glued to a digit or to such a letter
    (``87lO``; insider re-attack of 2026-12-07 F: ``5З6``, ``ƻƻ``, ``87lO`` made a
    number of three mentions after a rename); ``BIG 10`` keeps its letters."""
    looks = normalize.letter_digits()
    chars = [ch for ch in text if not normalize._ignorable(ch) and unicodedata.category(ch) not in ("Mn", "Me")]
    digitish = [_digit(ch) or (not ch.isascii() and ch in looks) for ch in chars]
    grown = True
    while grown:  # ASCII look-alikes glued to a digit, to a fixed point
        grown = False
        for i, ch in enumerate(chars):
            if not digitish[i] and ch in looks and ((i > 0 and digitish[i - 1])
                                                    or (i + 1 < len(chars) and digitish[i + 1])):
                digitish[i] = grown = True
    if not any(digitish):
        return False
    return not any(visible_letter(ch) and not digitish[i] for i, ch in enumerate(chars))


def display_name_refusal(route_name: str, items: Iterable[Any]) -> str | None:
    """Why the display name this request sets is refused, or None."""
    fields = DISPLAY_NAME_FIELDS.get(route_name)
    if fields is None:
        return None
    for item in items:
        top, dot, key = item.path.partition(".")
        if top == "body" and dot and go_field_name(key) in fields and digits_only(item.text):
            return ("a display name made of digits without a letter is not accepted: shown in a mention, "
                    "a list or a bookmark bar beside others, digits make numbers the message never holds")
    return None
