"""In-memory state of the Mattermost simulator.

``Simulator`` holds users, sessions, teams, channels, posts, files, drafts,
scheduled posts, bookmarks, hooks and the record of every request that reached
the simulator. It knows nothing about HTTP; ``app.py`` maps the v4 routes onto
it. All public methods take the lock, so a test thread can read the record
while the server thread writes it.

JSON shapes follow server/public/model/*.go (Post, Channel, User, FileInfo,
ScheduledPost, Draft, ChannelBookmark, UploadSession, Bot, Group). Fields the
real server omits when empty (``omitempty``) are omitted here too where a client
could tell the difference (``file_ids``, ``metadata.files``).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from dlp_proxy.simulator import gohttp
from dlp_proxy.simulator.ids import id_from

JSON = dict[str, Any]

SERVER_VERSION = "10.5.0.dlp-sim.0.0"
TEAM_NAME = "acme"
MAX_MESSAGE_RUNES = 16383  # model.PostMessageMaxRunesV2
MAX_PROPS_BYTES = 800000  # model.PostPropsMaxRunes


class SimError(Exception):
    """An AppError the simulator answers with (server/public/model/utils.go AppError)."""

    def __init__(self, status: int, error_id: str, message: str, detailed: str = "") -> None:
        super().__init__(f"{status} {error_id}")
        self.status = status
        self.error_id = error_id
        self.message = message
        self.detailed = detailed


def not_found(what: str) -> SimError:
    return SimError(404, f"app.{what}.get.app_error", f"Unable to find the existing {what}.")


def forbidden() -> SimError:
    return SimError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")


def bad_param(name: str) -> SimError:
    return SimError(
        400, "api.context.invalid_body_param.app_error", f"Invalid or missing {name} in request body."
    )


#: model.CommandWebhookLifetime; app/webhook.go HandleCommandWebhook ``TryUse(hook.Id, 5)``
COMMAND_WEBHOOK_LIFETIME_MS = 1000 * 60 * 30
COMMAND_WEBHOOK_USES = 5


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class SeedUser:
    key: str
    username: str
    roles: str
    password: str
    token: str
    is_bot: bool = False


# Tokens and passwords of the seeded users (documented in docs/simulator.md).
SEED_USERS: tuple[SeedUser, ...] = (
    SeedUser("alice", "alice", "system_user", "alice-password", "alice-token"),
    SeedUser("bob", "bob", "system_user", "bob-password", "bob-token"),
    SeedUser("carol", "carol", "system_user system_admin", "carol-password", "carol-token"),
    SeedUser("sam", "sam", "system_user", "sam-password", "sam-token"),
    # The gateway's bot: system_admin so it may create ephemeral posts
    # (permission create_post_ephemeral), as an operator would configure it.
    SeedUser("dlp-bot", "dlp-bot", "system_user system_admin", "", "dlp-bot-token", is_bot=True),
)


@dataclass
class Fault:
    """An injected fault: delay and/or a fixed status for matching requests."""

    delay_ms: int = 0
    status: int | None = None
    path_prefix: str = ""
    method: str = ""
    remaining: int | None = None  # None: until cleared

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return path.startswith(self.path_prefix)


@dataclass
class Session:
    token: str
    user_id: str
    csrf: str
    kind: str  # "pat" or "session"
    #: the login's ``device_id`` (app/login.go DoLogin: ``session.DeviceId``; listed with
    #: the user's sessions, sent to the push proxy)
    device_id: str = ""


@dataclass
class Simulator:
    """State of one simulated Mattermost server (seeded on construction)."""

    unknown_route_status: int = 404
    #: ServiceSettings.SiteURL's path ("/chat"; "" for none): every route is served under
    #: it (app/server.go ``s.Router = s.RootRouter.PathPrefix(subpath).Subrouter()``)
    subpath: str = ""
    #: how the incoming-webhook handler picks its reading (web/webhook.go):
    #: "mime" (newer: mime.ParseMediaType) or "split" (older: strings.Split(ct, "; ")[0])
    webhook_rule: str = "mime"
    users: dict[str, JSON] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    teams: dict[str, JSON] = field(default_factory=dict)
    team_members: dict[str, set[str]] = field(default_factory=dict)
    #: team admins of the teams made through POST /api/v4/teams (the seeded team has none but system admins)
    team_admins: dict[str, set[str]] = field(default_factory=dict)
    channels: dict[str, JSON] = field(default_factory=dict)
    channel_members: dict[str, set[str]] = field(default_factory=dict)
    groups: dict[str, JSON] = field(default_factory=dict)
    group_members: dict[str, set[str]] = field(default_factory=dict)
    posts: dict[str, JSON] = field(default_factory=dict)
    ephemeral_posts: list[JSON] = field(default_factory=list)
    files: dict[str, JSON] = field(default_factory=dict)
    file_bytes: dict[str, bytes] = field(default_factory=dict)
    uploads: dict[str, JSON] = field(default_factory=dict)
    upload_bytes: dict[str, bytearray] = field(default_factory=dict)
    drafts: dict[tuple[str, str, str], JSON] = field(default_factory=dict)
    scheduled_posts: dict[str, JSON] = field(default_factory=dict)
    bookmarks: dict[str, JSON] = field(default_factory=dict)
    incoming_hooks: dict[str, JSON] = field(default_factory=dict)
    command_hooks: dict[str, JSON] = field(default_factory=dict)
    #: custom emoji by id, and their pictures (POST /api/v4/emoji)
    emoji: dict[str, JSON] = field(default_factory=dict)
    emoji_images: dict[str, bytes] = field(default_factory=dict)
    bots: dict[str, JSON] = field(default_factory=dict)
    custom_status: dict[str, JSON] = field(default_factory=dict)
    runs: dict[str, JSON] = field(default_factory=dict)
    requests: list[JSON] = field(default_factory=list)
    ws_messages: list[JSON] = field(default_factory=list)
    #: threads moved (``move_post``), for tests: /__sim/moves
    moves: list[JSON] = field(default_factory=list)
    #: WranglerSettings switches the simulator honours (model/config.go): moving a
    #: thread out of a private, direct or group channel; all on
    wrangler: dict[str, bool] = field(default_factory=lambda: {"from_private": True, "from_direct": True,
                                                                "from_group": True})
    faults: list[Fault] = field(default_factory=list)
    ids: JSON = field(default_factory=dict)
    _seq: int = 0
    _id_counter: int = 0
    _request_counter: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    #: interactive messages and dialogs (simulator/interactive.py)
    interactions: Any = field(default=None, repr=False)
    #: custom slash commands and outgoing webhooks (simulator/commands.py)
    custom: Any = field(default=None, repr=False)
    #: link previews (simulator/previews.py; ServiceSettings.EnableLinkPreviews, on by
    #: default as in Mattermost): the first link of a created or edited post is fetched
    previews: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        from dlp_proxy.simulator.commands import CustomCommands
        from dlp_proxy.simulator.interactive import Interactions

        self.interactions = Interactions(self)
        self.custom = CustomCommands(self)
        if self.previews is None:
            from dlp_proxy.simulator.previews import LinkPreviews

            self.previews = LinkPreviews(enabled=True)
        self._seed()

    # ------------------------------------------------------------------ ids
    def new_id(self, kind: str) -> str:
        with self.lock:
            self._id_counter += 1
            return id_from(f"runtime:{kind}:{self._id_counter}")

    def new_request_id(self) -> str:
        # A separate counter so object ids do not depend on how many requests came first.
        with self.lock:
            self._request_counter += 1
            return id_from(f"request:{self._request_counter}")

    # ----------------------------------------------------------------- seed
    def _seed(self) -> None:
        t0 = 1_700_000_000_000
        team_id = id_from("team:acme")
        self.teams[team_id] = {
            "id": team_id,
            "create_at": t0,
            "update_at": t0,
            "delete_at": 0,
            "display_name": "Acme Securities",
            "name": TEAM_NAME,
            "description": "",
            "email": "admin@acme.example",
            "type": "O",
            "company_name": "",
            "allowed_domains": "",
            "invite_id": id_from("invite:acme"),
            "allow_open_invite": False,
            "last_team_icon_update": 0,
            "scheme_id": None,
            "group_constrained": None,
            "policy_id": None,
            "cloud_limits_archived": False,
        }
        self.team_members[team_id] = set()
        users: dict[str, str] = {}
        for seed in SEED_USERS:
            uid = id_from(f"user:{seed.key}")
            users[seed.key] = uid
            self.users[uid] = self._user_json(uid, seed.username, seed.roles, t0, is_bot=seed.is_bot)
            if seed.password:
                self.passwords[seed.username] = seed.password
            self.sessions[seed.token] = Session(seed.token, uid, csrf=id_from(f"csrf:{seed.key}"), kind="pat")
            self.team_members[team_id].add(uid)
        bot_id = users["dlp-bot"]
        self.bots[bot_id] = {
            "user_id": bot_id,
            "username": "dlp-bot",
            "display_name": "DLP Gateway",
            "description": "Tells senders why a message was stopped.",
            "owner_id": users["carol"],
            "create_at": t0,
            "update_at": t0,
            "delete_at": 0,
        }
        # An AD/LDAP-synced group, as group sync creates it (model.Group,
        # server/public/model/group.go: source "ldap" needs a remote_id), made
        # mentionable so its members see it in GET /users/{id}/groups.
        group_id = id_from("group:security-reviewers")
        self.groups[group_id] = {
            "id": group_id,
            "name": "security-reviewers",
            "display_name": "Security Reviewers",
            "description": "Reviews quarantined messages.",
            "source": "ldap",
            "remote_id": "cn=security-reviewers,ou=groups,dc=acme,dc=example",
            "create_at": t0,
            "update_at": t0,
            "delete_at": 0,
            "has_syncables": False,
            "member_count": 1,
            "allow_reference": True,
        }
        self.group_members[group_id] = {users["sam"]}

        humans = [users[k] for k in ("alice", "bob", "carol", "sam")]
        everyone = [*humans, bot_id]

        def chan(key: str, ctype: str, name: str, display: str, members: list[str], **extra: Any) -> str:
            cid = id_from(f"channel:{key}")
            self.channels[cid] = self._channel_json(
                cid, team_id if ctype in ("O", "P") else "", ctype, name, display, users["carol"], t0
            )
            self.channels[cid].update(extra)
            self.channel_members[cid] = set(members)
            return cid

        a, b = sorted((users["alice"], users["bob"]))
        ids_channels = {
            "town_square": chan("town-square", "O", "town-square", "Town Square", everyone),
            "private": chan("trading-desk", "P", "trading-desk", "Trading Desk", [*humans, bot_id]),
            "dm_alice_bob": chan("dm-alice-bob", "D", f"{a}__{b}", "", [users["alice"], users["bob"]]),
            "group": chan(
                "gm-alice-bob-carol",
                "G",
                # model.GetGroupNameFromUserIds: sha1 hex of the sorted member ids.
                hashlib.sha1("".join(sorted([users["alice"], users["bob"], users["carol"]])).encode(), usedforsecurity=False).hexdigest(),
                "alice, bob, carol",
                [users["alice"], users["bob"], users["carol"]],
            ),
            "shared": chan("partners", "O", "partners", "Partners (shared)", everyone, shared=True),
            "compliance_alerts": chan(
                "compliance-alerts", "O", "compliance-alerts", "Compliance Alerts", [users["sam"], users["carol"], bot_id]
            ),
        }
        hook_id = id_from("hook:town-square")
        self.incoming_hooks[hook_id] = {
            "id": hook_id,
            "create_at": t0,
            "update_at": t0,
            "delete_at": 0,
            "user_id": users["carol"],
            "channel_id": ids_channels["town_square"],
            "team_id": team_id,
            "display_name": "CRM alerts",
            "description": "",
            "username": "",
            "icon_url": "",
            "channel_locked": False,
        }
        cmd_hook_id = id_from("command-hook:town-square")
        self.command_hooks[cmd_hook_id] = {
            "id": cmd_hook_id,
            "user_id": users["alice"],
            "channel_id": ids_channels["town_square"],
            "root_id": "",
            "create_at": t0,
            "command_id": id_from("command:lookup"),
        }
        self.ids = {
            "team": team_id,
            "users": users,
            "tokens": {s.key: s.token for s in SEED_USERS},
            "passwords": {s.key: s.password for s in SEED_USERS if s.password},
            "channels": ids_channels,
            "group_security_reviewers": group_id,
            "incoming_hook": hook_id,
            "command_hook": cmd_hook_id,
            # a remote cluster of shared channels (model.RemoteCluster: its RemoteId and the token it sends)
            "remote_cluster": {"id": id_from("remote-cluster:partners"), "token": id_from("remote-cluster-token:partners")},
        }

    @staticmethod
    def _user_json(uid: str, username: str, roles: str, t0: int, *, is_bot: bool = False) -> JSON:
        user: JSON = {
            "id": uid,
            "create_at": t0,
            "update_at": t0,
            "delete_at": 0,
            "username": username,
            "auth_data": "",
            "auth_service": "",
            "email": f"{username}@acme.example",
            "email_verified": True,
            "nickname": "",
            "first_name": username.capitalize() if not is_bot else "",
            "last_name": "",
            "position": "",
            "roles": roles,
            "props": {},
            "notify_props": {
                "channel": "true",
                "comments": "never",
                "desktop": "mention",
                "desktop_sound": "true",
                "email": "true",
                "first_name": "false",
                "mention_keys": "",
                "push": "mention",
                "push_status": "online",
            },
            "last_password_update": t0,
            "locale": "en",
            "timezone": {"automaticTimezone": "", "manualTimezone": "", "useAutomaticTimezone": "true"},
            "disable_welcome_email": False,
        }
        if is_bot:
            user["is_bot"] = True
            user["bot_description"] = "Tells senders why a message was stopped."
        return user

    @staticmethod
    def _channel_json(
        cid: str, team_id: str, ctype: str, name: str, display: str, creator: str, t0: int
    ) -> JSON:
        return {
            "id": cid,
            "create_at": t0,
            "update_at": t0,
            "delete_at": 0,
            "team_id": team_id,
            "type": ctype,
            "display_name": display,
            "name": name,
            "header": "",
            "purpose": "",
            "last_post_at": 0,
            "total_msg_count": 0,
            "extra_update_at": 0,
            "creator_id": creator,
            "scheme_id": None,
            "props": None,
            "group_constrained": None,
            "shared": False,
            "total_msg_count_root": 0,
            "policy_id": None,
            "last_root_post_at": 0,
        }

    # ------------------------------------------------------------ recording
    def record(
        self,
        *,
        method: str,
        path: str,
        raw_path: str,
        query: str,
        headers: list[tuple[str, str]],
        body: bytes,
        client: str,
        websocket: bool = False,
    ) -> int:
        with self.lock:
            self._seq += 1
            self.requests.append(
                {
                    "seq": self._seq,
                    "time": now_ms(),
                    "method": method,
                    "path": path,
                    "raw_path": raw_path,
                    "query": query,
                    "headers": [[k, v] for k, v in headers],
                    "body_b64": base64.b64encode(body).decode("ascii"),
                    "client": client,
                    "websocket": websocket,
                }
            )
            return self._seq

    def recorded(self) -> list[JSON]:
        with self.lock:
            return copy.deepcopy(self.requests)

    def clear_recorded(self) -> None:
        with self.lock:
            self.requests.clear()
            self.ws_messages.clear()

    def fault_for(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self.faults.remove(fault)
                    return fault
            return None

    # ------------------------------------------------------------------ auth
    def session_for_token(self, token: str) -> Session | None:
        with self.lock:
            session = self.sessions.get(token)
            user = self.users.get(session.user_id) if session is not None else None
            # a deactivated user's access tokens are refused while it lasts
            # (app/session.go createSessionForUserAccessToken: user.DeleteAt != 0)
            if user is not None and user.get("delete_at"):
                return None
            return session

    def login(self, login_id: str, password: str, device_id: str = "") -> tuple[Session, JSON]:
        with self.lock:
            user = self.user_by_login(login_id)
            if user is None or self.passwords.get(user["username"]) != password or not password:
                raise SimError(
                    401,
                    "api.user.login.invalid_credentials_email_username",
                    "Enter a valid email or username and/or password.",
                )
            if user.get("delete_at"):  # app/authentication.go checkUserNotDisabled
                raise SimError(401, "api.user.login.inactive.app_error",
                               "Login failed because your account has been deactivated.")  # fmt: skip
            token = self.new_id("session-token")
            session = Session(token, user["id"], csrf=self.new_id("csrf"), kind="session", device_id=device_id)
            self.sessions[token] = session
            return session, copy.deepcopy(user)

    def user_sessions(self, user_id: str) -> list[JSON]:
        """api4/user.go getSessions: the user's sessions, sanitized (no token)."""
        with self.lock:
            return [{"user_id": s.user_id, "device_id": s.device_id, "props": {}}
                    for s in self.sessions.values() if s.user_id == user_id and s.kind == "session"]

    def logout(self, token: str) -> None:
        with self.lock:
            session = self.sessions.get(token)
            if session is not None and session.kind == "session":
                del self.sessions[token]

    def user_by_login(self, login_id: str) -> JSON | None:
        for user in self.users.values():
            if login_id in (user["username"], user["email"]):
                return user
        return None

    def is_admin(self, user_id: str) -> bool:
        user = self.users.get(user_id)
        return user is not None and "system_admin" in str(user["roles"]).split()

    # ----------------------------------------------------------- lookups
    def get_user(self, user_id: str) -> JSON:
        with self.lock:
            user = self.users.get(user_id)
            if user is None:
                raise SimError(404, "app.user.missing_account.const", "Unable to find the user.")
            return copy.deepcopy(user)

    def user_groups(self, user_id: str, actor: str | None = None) -> list[JSON]:
        """GET /users/{id}/groups as api4/group.go getGroupsByUserId answers it:
        another user's groups need manage_system; without
        sysconsole_read_user_management_groups (system admins have it) only
        referenceable groups are listed."""
        with self.lock:
            self.get_user(user_id)
            admin = actor is None or self.is_admin(actor)
            if actor is not None and actor != user_id and not admin:
                raise forbidden()
            return [copy.deepcopy(g) for gid, g in self.groups.items()
                    if user_id in self.group_members[gid] and (admin or g.get("allow_reference"))]  # fmt: skip

    def user_by_username(self, username: str) -> JSON:
        """GET /users/username/{username} (api4/user.go getUserByUsername)."""
        with self.lock:
            for user in self.users.values():
                if user["username"] == username.lower():
                    return copy.deepcopy(user)
        raise SimError(404, "app.user.missing_account.const", "Unable to find the user.")

    def user_by_email(self, email: str) -> JSON:
        """GET /users/email/{email} (api4/user.go getUserByEmail)."""
        with self.lock:
            for user in self.users.values():
                if user["email"] == email.lower():
                    return copy.deepcopy(user)
        raise SimError(404, "app.user.missing_account.const", "Unable to find the user.")

    def create_group(self, body: Any, actor: str) -> JSON:
        """POST /api/v4/groups as api4/group.go createGroup checks it: only
        ``source: custom`` (app.group.crud_permission otherwise), referenceable, no
        remote_id; any user may (create_custom_group is in system_user).  The body's
        ``user_ids`` become the members (model.GroupWithUserIds)."""
        if not isinstance(body, dict):
            raise bad_param("group")
        if body.get("source") != "custom":
            raise SimError(400, "app.group.crud_permission", "Unable to perform operation for that source type.")
        if body.get("allow_reference") is not True:
            raise SimError(400, "api.custom_groups.must_be_referenceable", "Custom groups must be referenceable.")
        if body.get("remote_id"):
            raise SimError(400, "api.custom_groups.no_remote_id", "Custom groups cannot have a remote id.")
        name, display = body.get("name"), body.get("display_name")
        # model.Group.IsValidName: ^[a-z0-9\.\-_]+$, at most 64 characters
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9.\-_]{1,64}", name):
            raise SimError(400, "model.group.name.invalid_chars.app_error", "Invalid name.")
        if not isinstance(display, str) or not 0 < len(display) <= 128:
            raise SimError(400, "model.group.display_name.app_error", "Invalid display name.")
        members = body.get("user_ids") or []
        if not isinstance(members, list) or not all(isinstance(u, str) and u in self.users for u in members):
            raise bad_param("user_ids")
        with self.lock:
            if any(g.get("name") == name for g in self.groups.values()):
                raise SimError(400, "app.group.uniqueness_error", "A group with that name already exists.")
            gid = self.new_id("group")
            t = now_ms()
            self.groups[gid] = {"id": gid, "name": name, "display_name": display,
                                "description": str(body.get("description", "")), "source": "custom",
                                "remote_id": None, "create_at": t, "update_at": t, "delete_at": 0,
                                "has_syncables": False, "member_count": len(members), "allow_reference": True}  # fmt: skip
            self.group_members[gid] = set(members)
            return copy.deepcopy(self.groups[gid])

    def add_group_members(self, group_id: str, body: Any, actor: str) -> list[JSON]:
        """POST /api/v4/groups/{id}/members (api4/group.go addGroupMembers): custom
        groups only; manage_custom_group_members is in system_user, so anyone may."""
        with self.lock:
            group = self.groups.get(group_id)
            if group is None:
                raise not_found("group")
            if group.get("source") != "custom":
                raise SimError(400, "app.group.crud_permission", "Unable to perform operation for that source type.")
            ids = body.get("user_ids") if isinstance(body, dict) else None
            if not isinstance(ids, list) or not all(isinstance(u, str) and u in self.users for u in ids):
                raise bad_param("addGroupMembers")
            self.group_members[group_id].update(ids)
            group["member_count"] = len(self.group_members[group_id])
            return [{"group_id": group_id, "user_id": u, "create_at": now_ms(), "delete_at": 0} for u in ids]

    def user_teams(self, user_id: str) -> list[JSON]:
        with self.lock:
            self.get_user(user_id)
            return [copy.deepcopy(t) for tid, t in self.teams.items() if user_id in self.team_members[tid]]

    def get_team(self, team_id: str, actor: str) -> JSON:
        with self.lock:
            team = self.teams.get(team_id)
            if team is None:
                raise not_found("team")
            if actor not in self.team_members[team_id] and not self.is_admin(actor):
                raise forbidden()
            return copy.deepcopy(team)

    def add_channel_member(self, channel_id: str, body: Any, actor: str) -> JSON:
        """POST /api/v4/channels/{channel_id}/members (api4/channel.go addChannelMember:
        ``user_id``; a member of a public channel (``manage_public_channel_members``) or a
        system admin; the user must be on the channel's team).  Answers the ChannelMember, 201."""
        with self.lock:
            channel = self.channels.get(channel_id)
            if channel is None or channel["delete_at"]:
                raise SimError(404, "app.channel.get.existing.app_error", "Unable to find the existing channel.")
            user_id = body.get("user_id") if isinstance(body, dict) else None
            if not isinstance(user_id, str) or user_id not in self.users:
                raise bad_param("user_id")
            if not self.is_admin(actor) and not (channel["type"] == "O" and actor in self.channel_members[channel_id]):
                raise forbidden()
            if channel.get("team_id") and user_id not in self.team_members.get(channel["team_id"], set()):
                raise SimError(403, "api.channel.add_members.user_denied", "Channel membership denied to the following users because of group constraints.")
            self.channel_members[channel_id].add(user_id)
            return {"channel_id": channel_id, "user_id": user_id, "roles": "channel_user", "msg_count": 0,
                    "mention_count": 0, "last_viewed_at": 0, "notify_props": {}, "last_update_at": now_ms()}

    def _channel(self, channel_id: str, actor: str, *, write: bool = False) -> JSON:
        channel = self.channels.get(channel_id)
        if channel is None or channel["delete_at"]:
            raise SimError(404, "app.channel.get.existing.app_error", "Unable to find the existing channel.")
        member = actor in self.channel_members[channel_id]
        if not member:
            # Public channels can be read by team members; admins can do anything.
            public_read = channel["type"] == "O" and not write
            if not (public_read or self.is_admin(actor)):
                raise forbidden()
        return channel

    def get_channel(self, channel_id: str, actor: str) -> JSON:
        with self.lock:
            return copy.deepcopy(self._channel(channel_id, actor))

    def get_incoming_hook(self, hook_id: str, actor: str) -> JSON:
        """GET /hooks/incoming/{id} (api4/webhook.go getIncomingHook: manage_incoming_webhooks; the
        creator or an admin here)."""
        with self.lock:
            hook = self.incoming_hooks.get(hook_id)
            if hook is None or hook.get("delete_at"):
                raise not_found("incoming webhook")
            if actor != hook["user_id"] and not self.is_admin(actor):
                raise forbidden()
            return copy.deepcopy(hook)

    def channel_members_page(self, channel_id: str, actor: str, page: int, per_page: int) -> list[JSON]:
        """GET /channels/{id}/members (api4/channel.go getChannelMembers: read_channel, paged)."""
        with self.lock:
            channel = self._channel(channel_id, actor)
            ids = sorted(self.channel_members[channel_id])[page * per_page:(page + 1) * per_page]
            return [{"channel_id": channel_id, "user_id": uid, "roles": "channel_user", "last_viewed_at": 0,
                     "msg_count": 0, "mention_count": 0, "notify_props": {}, "last_update_at": channel["create_at"],
                     "scheme_guest": False, "scheme_user": True, "scheme_admin": False} for uid in ids]

    # ----------------------------------------------------------------- posts
    def _post_out(self, post: JSON) -> JSON:
        out = copy.deepcopy(post)
        if out.get("file_ids"):
            out["metadata"]["files"] = [copy.deepcopy(self.files[f]) for f in out["file_ids"] if f in self.files]
        else:
            out.pop("file_ids", None)
        return out

    def _check_message(self, message: Any, props: Any) -> None:
        if not isinstance(message, str):
            raise bad_param("message")
        if len(message) > MAX_MESSAGE_RUNES:
            raise SimError(
                400, "model.post.is_valid.message_length.app_error", "Message property is longer than allowed."
            )
        if props is not None and not isinstance(props, dict):
            raise bad_param("props")
        if props is not None and len(_json_dumps(props)) > MAX_PROPS_BYTES:
            raise SimError(400, "model.post.is_valid.props.app_error", "Invalid props.")

    def _check_files(self, file_ids: Any, actor: str) -> list[str]:
        if file_ids is None:
            return []
        if not isinstance(file_ids, list) or not all(isinstance(f, str) for f in file_ids):
            raise bad_param("file_ids")
        for fid in file_ids:
            info = self.files.get(fid)
            if info is None or info["user_id"] != actor:
                raise SimError(400, "app.file_info.get.app_error", "Unable to get the file info.")
        return list(file_ids)

    def _with_embeds(self, out: JSON) -> JSON:
        """app/post.go CreatePost / UpdatePost: ``getEmbedsAndImages`` before the post is
        returned (``PreparePostForClientWithEmbedsAndImages``): the first link's
        OpenGraph, fetched by the server and kept per (URL, hour of the post's
        ``create_at``) (simulator/previews.py).  Called after the state lock is released
        by the API paths, so a slow page never holds the simulator up."""
        embeds = self.previews.embeds(str(out.get("message", "")), int(out.get("create_at", 0)), out.get("props"))
        with self.lock:
            post = self.posts.get(str(out.get("id", "")))
            if post is not None and post["update_at"] == out.get("update_at"):
                # model.PostMetadata ``embeds,omitempty``
                if embeds:
                    post["metadata"]["embeds"] = embeds
                else:
                    post["metadata"].pop("embeds", None)
        if embeds:
            out.setdefault("metadata", {})["embeds"] = copy.deepcopy(embeds)
        else:
            out.get("metadata", {}).pop("embeds", None)
        return out

    def create_post(self, body: Any, actor: str, *, post_type: str = "", from_webhook: bool = False) -> JSON:
        return self._with_embeds(self._create_post(body, actor, post_type=post_type, from_webhook=from_webhook))

    def _create_post(self, body: Any, actor: str, *, post_type: str = "", from_webhook: bool = False) -> JSON:
        with self.lock:
            if not isinstance(body, dict):
                raise bad_param("post")
            channel_id = body.get("channel_id")
            if not isinstance(channel_id, str) or not channel_id:
                raise bad_param("channel_id")
            channel = self._channel(channel_id, actor, write=True) if not from_webhook else self.channels[channel_id]
            message = body.get("message", "")
            props = body.get("props") or {}
            self._check_message(message, props)
            file_ids = self._check_files(body.get("file_ids"), actor)
            root_id = body.get("root_id") or ""
            if root_id:
                root = self.posts.get(root_id)
                if root is None or root["channel_id"] != channel_id:
                    raise SimError(
                        400, "api.post.create_post.root_id.app_error", "Invalid RootId parameter."
                    )
            t = now_ms()
            pid = self.new_id("post")
            metadata: JSON = {}
            md = body.get("metadata")
            if isinstance(md, dict) and isinstance(md.get("priority"), dict):
                metadata["priority"] = md["priority"]
            post: JSON = {
                "id": pid,
                "create_at": t,
                "update_at": t,
                "edit_at": 0,
                "delete_at": 0,
                "is_pinned": False,
                "user_id": actor,
                "channel_id": channel_id,
                "root_id": root_id,
                "original_id": "",
                "message": message,
                "type": body.get("type", post_type) if isinstance(body.get("type", ""), str) else post_type,
                "props": props,
                "hashtags": " ".join(w for w in message.split() if w.startswith("#") and len(w) > 1),
                "pending_post_id": body.get("pending_post_id", "") or "",
                "reply_count": 0,
                "last_reply_at": 0,
                "participants": None,
                "file_ids": file_ids,
                "metadata": metadata,
            }
            for fid in file_ids:
                # store/sqlstore/file_info_store.go AttachToPost: PostId and ChannelId set
                # to the post's, whichever channel the file was uploaded in
                self.files[fid]["post_id"] = pid
                self.files[fid]["channel_id"] = channel_id
            self.posts[pid] = post
            if root_id:
                root = self.posts[root_id]
                root["reply_count"] += 1
                root["last_reply_at"] = t
                for p in self.posts.values():
                    if p["root_id"] == root_id or p["id"] == root_id:
                        p["reply_count"] = root["reply_count"]
                post["reply_count"] = root["reply_count"]
            channel["last_post_at"] = t
            channel["total_msg_count"] += 1
            if not root_id:
                channel["total_msg_count_root"] += 1
                channel["last_root_post_at"] = t
            return self._post_out(post)

    def create_ephemeral(self, body: Any, actor: str) -> JSON:
        with self.lock:
            if not self.is_admin(actor):
                raise forbidden()
            if not isinstance(body, dict) or not isinstance(body.get("post"), dict):
                raise bad_param("post")
            target = body.get("user_id")
            if not isinstance(target, str) or target not in self.users:
                raise bad_param("user_id")
            return self.create_ephemeral_internal(target, body["post"], sender=actor)

    def create_ephemeral_internal(self, target: str, inner: JSON, *, sender: str) -> JSON:
        """app/post.go SendEphemeralPost: action ids generated, action cookies added
        (simulator/interactive.py), the post published to ``target`` only."""
        with self.lock:
            channel_id = inner.get("channel_id")
            if not isinstance(channel_id, str) or channel_id not in self.channels:
                raise bad_param("channel_id")
            message = inner.get("message", "")
            self._check_message(message, inner.get("props"))
            t = now_ms()
            post: JSON = {
                "id": self.new_id("ephemeral"),
                "create_at": t,
                "update_at": t,
                "edit_at": 0,
                "delete_at": 0,
                "is_pinned": False,
                "user_id": sender,
                "channel_id": channel_id,
                "root_id": inner.get("root_id", "") or "",
                "original_id": "",
                "message": message,
                "type": "system_ephemeral",
                "props": copy.deepcopy(inner.get("props")) or {},
                "hashtags": "",
                "pending_post_id": "",
                "reply_count": 0,
                "last_reply_at": 0,
                "participants": None,
                "metadata": {},
            }
            self.interactions.generate_action_ids(self, post)
            post = self.interactions.for_client(post)
            self.ephemeral_posts.append({**copy.deepcopy(post), "ephemeral_target_user_id": target})
            self.interactions.publish("ephemeral_message", {"post": _json_dumps(post)}, target, channel_id)
            return post

    def _editable_post(self, post_id: str, actor: str) -> JSON:
        post = self.posts.get(post_id)
        if post is None or post["delete_at"]:
            raise SimError(404, "app.post.get.app_error", "Unable to get the post.")
        if post["user_id"] != actor and not self.is_admin(actor):
            raise SimError(403, "api.post.update_post.permissions_details.app_error", "You do not have the appropriate permissions.")
        return post

    def update_post(self, post_id: str, body: Any, actor: str) -> JSON:
        return self._with_embeds(self._update_post(post_id, body, actor))

    def _update_post(self, post_id: str, body: Any, actor: str) -> JSON:
        with self.lock:
            if not isinstance(body, dict):
                raise bad_param("post")
            if body.get("id") != post_id:
                raise SimError(400, "api.context.invalid_body_param.app_error", "Invalid or missing id in request body.")
            post = self._editable_post(post_id, actor)
            message = body.get("message", "")
            props = body.get("props", post["props"])
            self._check_message(message, props)
            file_ids = self._check_files(body.get("file_ids", post["file_ids"]), actor)
            t = now_ms()
            if message != post["message"]:
                post["edit_at"] = t
            post.update(
                message=message,
                props=props or {},
                file_ids=file_ids,
                is_pinned=bool(body.get("is_pinned", post["is_pinned"])),
                update_at=t,
                hashtags=" ".join(w for w in message.split() if w.startswith("#") and len(w) > 1),
            )
            return self._post_out(post)

    def patch_post(self, post_id: str, body: Any, actor: str) -> JSON:
        return self._with_embeds(self._patch_post(post_id, body, actor))

    def _patch_post(self, post_id: str, body: Any, actor: str) -> JSON:
        """api4/post.go patchPost -> app/post.go PatchPost: model.PostPatch has pointer
        fields (``Message *string``, ``Props *StringInterface``, ``FileIds``,
        ``IsPinned``); model/post.go ``Post.Patch`` sets each that is not nil, and
        ``UpdatePost`` (SafeUpdate false) stores the patched post's props whole: props
        in a patch REPLACE the post's props, no props (absent or null) keep them."""
        with self.lock:
            if not isinstance(body, dict):
                raise bad_param("post")
            post = self._editable_post(post_id, actor)
            t = now_ms()
            has_message, message = gohttp.pointer_field(body, "message")
            has_props, props = gohttp.pointer_field(body, "props")
            if has_props and not isinstance(props, dict):
                raise bad_param("props")  # json: UnmarshalTypeError -> 400
            if has_message:
                self._check_message(message, props if has_props else None)
                if message != post["message"]:
                    post["edit_at"] = t
                post["message"] = message
            if has_props:
                self._check_message(post["message"], props)
                post["props"] = props
            has_files, file_ids = gohttp.pointer_field(body, "file_ids")
            if has_files:
                post["file_ids"] = self._check_files(file_ids, actor)
            has_pinned, pinned = gohttp.pointer_field(body, "is_pinned")
            if has_pinned:
                post["is_pinned"] = bool(pinned)
            post["update_at"] = t
            return self._post_out(post)

    def delete_post(self, post_id: str, actor: str) -> JSON:
        """api4/post.go deletePost: ``delete_post`` on one's own post, ``delete_others_posts``
        (an admin here) on another's; app/post.go DeletePost sets ``delete_at``."""
        with self.lock:
            post = self.posts.get(post_id)
            if post is None or post["delete_at"]:
                raise SimError(404, "app.post.get.app_error", "Unable to get the post.")
            self._channel(post["channel_id"], actor)
            if post["user_id"] != actor and not self.is_admin(actor):
                raise forbidden()
            post["delete_at"] = post["update_at"] = now_ms()
            return {"status": "OK"}

    def get_post(self, post_id: str, actor: str) -> JSON:
        with self.lock:
            post = self.posts.get(post_id)
            if post is None or post["delete_at"]:
                raise SimError(404, "app.post.get.app_error", "Unable to get the post.")
            self._channel(post["channel_id"], actor)
            return self._post_out(post)

    def channel_posts(self, channel_id: str, actor: str, *, page: int = 0, per_page: int = 60,
                      before: str = "", after: str = "", since: int = 0) -> JSON:
        """GET /channels/{id}/posts as api4/post.go getPostsForChannel answers it:
        ``since`` (posts changed since, GetPostsSince), else ``after`` / ``before`` a
        post id (GetPostsAfterPost / GetPostsBeforePost, paged from that post), else
        the newest page (GetPostsPage); ``order`` is newest first.  The cursors follow
        app/post.go AddCursorIdsForPostList: with ``before`` on page 0 next_post_id is
        ``before`` itself, and a short page has no prev_post_id (nothing older)."""
        with self.lock:
            self._channel(channel_id, actor)
            live = sorted(
                (p for p in self.posts.values() if p["channel_id"] == channel_id and not p["delete_at"]),
                key=lambda p: (p["create_at"], p["id"]),
                reverse=True,
            )
            if since > 0:
                chosen = [p for p in live if p["update_at"] >= since or p["create_at"] >= since]
            elif after or before:
                anchor = self.posts.get(after or before)
                if anchor is None or anchor["channel_id"] != channel_id:
                    chosen = []
                else:
                    key = (anchor["create_at"], anchor["id"])
                    if after:  # oldest first from the anchor, returned newest first
                        newer = [p for p in reversed(live) if (p["create_at"], p["id"]) > key]
                        chosen = list(reversed(newer[page * per_page:(page + 1) * per_page]))
                    else:
                        older = [p for p in live if (p["create_at"], p["id"]) < key]
                        chosen = older[page * per_page:(page + 1) * per_page]
            else:
                chosen = live[page * per_page:(page + 1) * per_page]

            def neighbour(post: JSON, older: bool) -> str:
                key = (post["create_at"], post["id"])
                pool = [p for p in live if ((p["create_at"], p["id"]) < key) == older and p["id"] != post["id"]]
                if not pool:
                    return ""
                return str((max if older else min)(pool, key=lambda p: (p["create_at"], p["id"]))["id"])

            next_id = prev_id = ""
            next_set = prev_set = False
            if since > 0:
                next_set = prev_set = True
            elif after:
                if page == 0:
                    prev_id, prev_set = after, True
                next_set = len(chosen) < per_page
            elif before:
                if page == 0:
                    next_id, next_set = before, True
                prev_set = len(chosen) < per_page
            if not next_set and chosen:
                next_id = neighbour(chosen[0], older=False)
            if not prev_set and chosen:
                prev_id = neighbour(chosen[-1], older=True)
            return {
                "order": [p["id"] for p in chosen],
                "posts": {p["id"]: self._post_out(p) for p in chosen},
                "next_post_id": next_id,
                "prev_post_id": prev_id,
                "has_next": bool(next_id),
            }

    def post_thread(self, post_id: str, actor: str) -> JSON:
        """GET /posts/{id}/thread (api4/post.go getPostThread without perPage:
        every post of the thread, root and replies, newest first; read permission
        on the channel; an unknown post is app.post.get.app_error 404)."""
        with self.lock:
            post = self.posts.get(post_id)
            if post is None or post["delete_at"]:
                raise SimError(404, "app.post.get.app_error", "Unable to get the post.")
            self._channel(post["channel_id"], actor)
            root = post["root_id"] or post["id"]
            thread = sorted((p for p in self.posts.values() if (p["id"] == root or p["root_id"] == root)
                             and not p["delete_at"]), key=lambda p: (p["create_at"], p["id"]), reverse=True)  # fmt: skip
            return {"order": [p["id"] for p in thread], "posts": {p["id"]: self._post_out(p) for p in thread},
                    "next_post_id": "", "prev_post_id": "", "has_next": False}  # fmt: skip

    def users_by_ids(self, body: Any, actor: str) -> list[JSON]:
        """POST /api/v4/users/ids (api4/user.go getUsersByIds): a JSON array of user
        ids; unknown ids are left out, an empty or non-array body is
        invalid_param user_ids.  Other users' e-mail and auth data are sanitized
        for a non-admin (app/user.go SanitizeProfile)."""
        if not isinstance(body, list) or not body or not all(isinstance(u, str) for u in body):
            raise bad_param("user_ids")
        with self.lock:
            admin = self.is_admin(actor)
            out: list[JSON] = []
            for uid in dict.fromkeys(body):
                user = self.users.get(uid)
                if user is None:
                    continue
                u = copy.deepcopy(user)
                if not admin and uid != actor:
                    for secret in ("email", "auth_data", "auth_service", "notify_props", "last_password_update"):
                        u.pop(secret, None)
                out.append(u)
            return out

    def move_post(self, post_id: str, body: Any, actor: str) -> JSON:
        """POST /posts/{id}/move (api4/post.go moveThread, app/post.go MoveThread).

        The body is ``model.MoveThreadParams`` (``{"channel_id": ...}``, other keys
        ignored by Go's decoder).  The caller must be able to read the post
        (``GetPostIfAuthorized``) and be a member of both channels
        (``ValidateMoveOrCopy``; moving from a private, direct or group channel and
        across teams is allowed here, as if every ``WranglerSettings`` switch were
        on: see ``wrangler``).  ``CopyWranglerPostlist`` creates every post of the
        thread (``GetPostThread``: the root and all replies) again in the target,
        root first, with new ids, re-uploading each file's bytes into the target;
        a ``system_wrangler`` reply says the thread came from another channel; the
        original root is deleted with its replies (``DeletePost``); a
        ``system_wrangler`` post in the source channel says where it went.  The
        answer is ``{"status": "OK"}`` (``ReturnStatusOK``).  Each move is
        recorded in ``moves`` (``/__sim/moves``)."""
        with self.lock:
            if not isinstance(body, dict):
                raise SimError(400, "api.context.invalid_body_param.app_error", "Invalid or missing post in request body.")
            channel_id = str(body["channel_id"]) if isinstance(body.get("channel_id"), str) else ""
            post = self.posts.get(post_id)
            if post is None or post["delete_at"]:
                raise SimError(404, "app.post.get.app_error", "Unable to get the post.")
            source = self._channel(post["channel_id"], actor)  # GetPostIfAuthorized: read permission
            root_id = post["root_id"] or post["id"]
            thread = sorted((p for p in self.posts.values() if (p["id"] == root_id or p["root_id"] == root_id)
                             and not p["delete_at"]), key=lambda p: (p["root_id"] != "", p["create_at"], p["id"]))
            move_error = SimError(400, "app.post.move_thread_command.error", "Unable to move thread.")
            target = self.channels.get(channel_id)
            if target is None or target["delete_at"]:
                raise SimError(404, "app.channel.get.existing.app_error", "Unable to find the existing channel.")
            kind = {"P": "from_private", "D": "from_direct", "G": "from_group"}.get(source["type"])
            if kind is not None and not self.wrangler.get(kind, True):
                raise move_error
            if actor not in self.channel_members[target["id"]] or actor not in self.channel_members[source["id"]]:
                raise move_error
            t = now_ms()
            new_root = ""
            copied: list[str] = []
            for n, old in enumerate(thread):
                new = copy.deepcopy(old)
                new_files: list[str] = []
                for fid in old.get("file_ids") or []:
                    info = self.files.get(fid)
                    if info is None:
                        continue
                    again = self.add_file(target["id"], info["name"], self.file_bytes[fid], actor,
                                          info.get("mime_type", ""))
                    new_files.append(again["id"])
                pid = self.new_id("post")
                new.update(id=pid, channel_id=target["id"], root_id=new_root if n else "", create_at=t + n,
                           update_at=t + n, file_ids=new_files, pending_post_id="", metadata={})
                for fid in new_files:
                    self.files[fid]["post_id"] = pid
                self.posts[pid] = new
                copied.append(pid)
                if n == 0:
                    new_root = pid
            self._system_post(actor, target["id"], "This thread was moved from another channel", t + len(thread),
                              root=new_root)
            for old in thread:
                old["delete_at"] = t
                old["update_at"] = t
            count = len(thread)
            self._system_post(
                actor, source["id"], f"A thread with {count} message{'s' if count != 1 else ''} has been moved",
                t + count + 1)
            self.moves.append({"post_id": post_id, "root_id": root_id, "from_channel_id": source["id"],
                               "to_channel_id": target["id"], "new_root_id": new_root, "post_ids": copied,
                               "user_id": actor, "at": t})
            return {"status": "OK"}

    def _system_post(self, actor: str, channel_id: str, message: str, t: int, *, root: str = "") -> None:
        pid = self.new_id("post")
        self.posts[pid] = {"id": pid, "create_at": t, "update_at": t, "edit_at": 0, "delete_at": 0, "is_pinned": False,
                "user_id": actor, "channel_id": channel_id, "root_id": root, "original_id": "",
                "message": message, "type": "system_wrangler", "props": {}, "hashtags": "", "pending_post_id": "",
                "reply_count": 0, "last_reply_at": 0, "participants": None, "file_ids": [], "metadata": {}}

    def recorded_moves(self) -> list[JSON]:
        with self.lock:
            return copy.deepcopy(self.moves)

    def all_posts(self) -> list[JSON]:
        with self.lock:
            out = [{**self._post_out(p), "ephemeral": False} for p in self.posts.values()]
            out += [{**copy.deepcopy(p), "ephemeral": True} for p in self.ephemeral_posts]
            return sorted(out, key=lambda p: p["create_at"])

    # ------------------------------------------------- drafts / scheduled
    def _draft_fields(self, body: JSON, actor: str) -> JSON:
        channel_id = body.get("channel_id")
        if not isinstance(channel_id, str) or not channel_id:
            raise bad_param("channel_id")
        self._channel(channel_id, actor, write=True)
        message = body.get("message", "")
        self._check_message(message, body.get("props"))
        return {
            "user_id": actor,
            "channel_id": channel_id,
            "root_id": body.get("root_id", "") or "",
            "message": message,
            "props": body.get("props") or {},
            "file_ids": self._check_files(body.get("file_ids"), actor),
            "metadata": body.get("metadata") or {},
            "priority": body.get("priority"),
        }

    def upsert_draft(self, body: Any, actor: str) -> JSON:
        with self.lock:
            if not isinstance(body, dict):
                raise bad_param("draft")
            fields = self._draft_fields(body, actor)
            key = (actor, fields["channel_id"], fields["root_id"])
            t = now_ms()
            existing = self.drafts.get(key)
            draft: JSON = {
                "create_at": existing["create_at"] if existing else t,
                "update_at": t,
                "delete_at": 0,
                **fields,
            }
            self.drafts[key] = draft
            return copy.deepcopy(draft)

    def create_scheduled(self, body: Any, actor: str) -> JSON:
        with self.lock:
            if not isinstance(body, dict):
                raise bad_param("scheduled_post")
            scheduled_at = body.get("scheduled_at")
            if not isinstance(scheduled_at, int) or scheduled_at <= 0:
                raise bad_param("scheduled_at")
            t = now_ms()
            sp: JSON = {
                "id": self.new_id("scheduled"),
                "create_at": t,
                "update_at": t,
                "delete_at": 0,
                **self._draft_fields(body, actor),
                "scheduled_at": scheduled_at,
                "processed_at": 0,
                "error_code": "",
            }
            self.scheduled_posts[sp["id"]] = sp
            return copy.deepcopy(sp)

    def update_scheduled(self, sp_id: str, body: Any, actor: str) -> JSON:
        """api4/scheduled_post.go updateScheduledPost -> app/scheduled_post.go
        UpdateScheduledPost: the body is a whole ``model.ScheduledPost`` whose ``id``
        must be the URL's (400); the stored one must exist (404) and be the caller's
        (403); ``scheduledPostChecks`` checks create_post on the **body's** channel, and
        then ``RestoreNonUpdatableFields`` (model/scheduled_post.go) puts back the
        stored ``id``, ``create_at``, ``user_id``, ``channel_id`` and ``root_id``: the
        post is sent where it was first scheduled, whatever channel the body names."""
        with self.lock:
            if not isinstance(body, dict):
                raise bad_param("scheduled_post")
            if body.get("id") != sp_id:
                raise SimError(400, "api.context.invalid_url_param.app_error",
                               "Invalid or missing scheduled_post_id in request URL.")
            sp = self._own_scheduled(sp_id, actor, "update")
            fields = self._draft_fields(body, actor)
            scheduled_at = body.get("scheduled_at")
            if not isinstance(scheduled_at, int) or scheduled_at <= 0:
                raise bad_param("scheduled_at")
            fields.update(user_id=sp["user_id"], channel_id=sp["channel_id"], root_id=sp["root_id"])
            sp.update(fields, scheduled_at=scheduled_at, update_at=now_ms())
            return copy.deepcopy(sp)

    def _own_scheduled(self, sp_id: str, actor: str, verb: str) -> JSON:
        """The stored scheduled post ``actor`` may ``verb`` (update, delete): 404 when there
        is none, 403 when it is someone else's (app/scheduled_post.go, the errors'
        ids as Mattermost spells them per verb).  Called with the lock held."""
        sp = self.scheduled_posts.get(sp_id)
        if sp is None:
            raise SimError(404, f"app.{verb}_scheduled_post.existing_scheduled_post.not_exist",
                           "The scheduled post does not exist.")
        if sp["user_id"] != actor:
            raise SimError(403, f"app.{verb}_scheduled_post.{verb}_permission.error",
                           f"You do not have permission to {verb} this scheduled post.")
        return sp

    def delete_scheduled(self, sp_id: str, actor: str) -> JSON:
        """api4/scheduled_post.go deleteScheduledPost: the stored one must exist (404)
        and be the caller's (403); answers the deleted scheduled post."""
        with self.lock:
            sp = self._own_scheduled(sp_id, actor, "delete")
            del self.scheduled_posts[sp_id]
            return copy.deepcopy(sp)

    def team_scheduled(self, team_id: str, actor: str, direct: bool) -> JSON:
        """api4/scheduled_post.go getTeamScheduledPosts: the caller's scheduled posts in
        the team's channels (``{team_id: [...]}``), and with ``includeDirectChannels=true``
        those in direct and group channels (``directChannels``); view_team needed."""
        with self.lock:
            if team_id not in self.teams:
                raise SimError(400, "api.context.invalid_url_param.app_error", "Invalid or missing team_id in request URL.")
            if actor not in self.team_members[team_id] and not self.is_admin(actor):
                raise forbidden()
            mine = [sp for sp in self.scheduled_posts.values() if sp["user_id"] == actor]
            out: JSON = {team_id: [copy.deepcopy(sp) for sp in mine
                                   if self.channels.get(sp["channel_id"], {}).get("team_id") == team_id]}
            if direct:
                out["directChannels"] = [copy.deepcopy(sp) for sp in mine
                                         if not self.channels.get(sp["channel_id"], {}).get("team_id")]
            return out

    # ----------------------------------------------------------------- files
    def add_file(self, channel_id: str, filename: str, data: bytes, actor: str, content_type: str = "") -> JSON:
        with self.lock:
            self._channel(channel_id, actor, write=True)
            if not filename:
                raise SimError(400, "api.file.upload_file.incorrect_number_of_files.app_error", "Unable to upload files. Incorrect number of files specified.")
            fid = self.new_id("file")
            t = now_ms()
            ext = filename.rsplit(".", 1)[1].lower() if "." in filename else ""
            info: JSON = {
                "id": fid,
                "user_id": actor,
                "channel_id": channel_id,
                "post_id": "",
                "create_at": t,
                "update_at": t,
                "delete_at": 0,
                "name": filename,
                "extension": ext,
                "size": len(data),
                "mime_type": content_type or _guess_mime(ext),
                "width": 0,
                "height": 0,
                "has_preview_image": False,
                "mini_preview": None,
                "remote_id": "",
                "archived": False,
            }
            self.files[fid] = info
            self.file_bytes[fid] = data
            return copy.deepcopy(info)

    def get_file(self, file_id: str, actor: str) -> tuple[JSON, bytes]:
        with self.lock:
            info = self.files.get(file_id)
            if info is None:
                raise SimError(404, "app.file_info.get.app_error", "Unable to get the file info.")
            if not info["channel_id"]:
                # api4/file.go getFileInfo: read permission on info.ChannelId (none for
                # no channel but a system admin's), or the file's creator
                if actor != info["user_id"] and not self.is_admin(actor):
                    raise forbidden()
            else:
                self._channel(info["channel_id"], actor)
            return copy.deepcopy(info), self.file_bytes[file_id]

    def copy_files(self, user_id: str, file_ids: Any) -> list[str]:
        """app/file.go CopyFileInfos (the plugin API's ``CopyFileInfos``): each file's
        FileInfo saved again under a new id, created by ``user_id``, with ``PostId`` and
        ``ChannelId`` empty (the bytes are shared, not copied); a missing file is 404."""
        with self.lock:
            if user_id not in self.users:
                raise not_found("user")
            if not isinstance(file_ids, list) or not all(isinstance(f, str) for f in file_ids):
                raise bad_param("file_ids")
            out: list[str] = []
            t = now_ms()
            for fid in file_ids:
                info = self.files.get(fid)
                if info is None:
                    raise SimError(404, "app.file_info.get.app_error", "Unable to get the file info.")
                new_id = self.new_id("file")
                self.files[new_id] = {**copy.deepcopy(info), "id": new_id, "user_id": user_id, "create_at": t,
                                      "update_at": t, "post_id": "", "channel_id": ""}
                self.file_bytes[new_id] = self.file_bytes[fid]
                out.append(new_id)
            return out

    def create_upload(self, body: Any, actor: str) -> JSON:
        with self.lock:
            if not isinstance(body, dict):
                raise bad_param("upload")
            channel_id = body.get("channel_id")
            filename = body.get("filename")
            size = body.get("file_size")
            if not isinstance(channel_id, str):
                raise bad_param("channel_id")
            if not isinstance(filename, str) or not filename:
                raise bad_param("filename")
            if not isinstance(size, int) or size <= 0:
                raise bad_param("file_size")
            self._channel(channel_id, actor, write=True)
            uid = self.new_id("upload")
            us: JSON = {
                "id": uid,
                "type": "attachment",
                "create_at": now_ms(),
                "user_id": actor,
                "channel_id": channel_id,
                "filename": filename,
                "path": f"data/uploads/{uid}.tmp",
                "file_size": size,
                "file_offset": 0,
                "remote_id": "",
                "req_file_id": "",
            }
            self.uploads[uid] = us
            self.upload_bytes[uid] = bytearray()
            return copy.deepcopy(us)

    def get_upload(self, upload_id: str, actor: str) -> JSON:
        """api4/upload.go getUpload: the session, with its file_offset."""
        with self.lock:
            us = self.uploads.get(upload_id)
            if us is None:
                raise SimError(404, "app.upload.get.app_error", "Unable to find the upload.")
            if us["user_id"] != actor:
                raise SimError(403, "api.upload.get_upload.forbidden.app_error", "Failed to get upload.")
            return copy.deepcopy(us)

    def upload_chunk(self, upload_id: str, chunk: bytes, actor: str, *, truncate: bool = False) -> JSON | None:
        """Append a chunk; the FileInfo once the upload is complete, else None.

        ``truncate``: a multipart chunk, read through app/upload.go UploadData's
        LimitedReader (bytes past file_size are not read); a raw chunk longer than
        what is left is refused (api4/upload.go doUploadData, ContentLength check)."""
        with self.lock:
            us = self.uploads.get(upload_id)
            if us is None:
                raise SimError(404, "app.upload.get.app_error", "Unable to find the upload.")
            if us["user_id"] != actor:
                raise forbidden()
            buf = self.upload_bytes[upload_id]
            if truncate:
                chunk = chunk[:max(0, us["file_size"] - len(buf))]
            if len(buf) + len(chunk) > us["file_size"]:
                raise SimError(400, "api.upload.upload_data.invalid_content_length", "Invalid Content-Length.")
            buf.extend(chunk)
            us["file_offset"] = len(buf)
            if len(buf) < us["file_size"]:
                return None
            info = self.add_file(us["channel_id"], us["filename"], bytes(buf), actor)
            del self.uploads[upload_id]
            del self.upload_bytes[upload_id]
            return info

    # ---------------------------------------------------------------- hooks
    def incoming_webhook(self, hook_id: str, payload: Any) -> None:
        with self.lock:
            hook = self.incoming_hooks.get(hook_id)
            if hook is None:
                raise SimError(400, "web.incoming_webhook.invalid.app_error", "Invalid webhook.")
            if not isinstance(payload, dict):
                raise SimError(400, "web.incoming_webhook.parse.app_error", "Unable to parse incoming data.")
            text = payload.get("text", "")
            attachments = payload.get("attachments")
            if not text and not attachments:
                raise SimError(400, "web.incoming_webhook.text.app_error", "No text specified.")
            props: JSON = dict(payload.get("props") or {}) if isinstance(payload.get("props"), dict) else {}
            if attachments:
                props["attachments"] = attachments
            props["from_webhook"] = "true"
            if payload.get("username"):
                props["override_username"] = payload["username"]
            if payload.get("icon_url"):
                props["override_icon_url"] = payload["icon_url"]
            channel_id = hook["channel_id"]
            wanted = payload.get("channel")
            # app/webhook.go HandleIncomingWebhook: "@user" is the direct channel between
            # the hook's creator and that user, "#name" or "name" the hook's team's channel
            # of that name (GetByName, deleted ones too); a locked hook refuses any other
            # channel than its own (403)
            if isinstance(wanted, str) and wanted and wanted.startswith("@"):
                user = next((u for u in self.users.values() if u["username"] == wanted[1:]), None)
                if user is None:
                    raise SimError(400, "web.incoming_webhook.user.app_error", "Couldn't find the user.")
                channel_id = self.direct_channel([hook["user_id"], user["id"]], hook["user_id"])["id"]
            elif isinstance(wanted, str) and wanted:
                name = wanted[1:] if wanted.startswith("#") else wanted
                for c in self.channels.values():
                    if c["name"] == name and c["team_id"] == hook["team_id"]:
                        channel_id = c["id"]
                        break
                else:
                    raise SimError(404, "web.incoming_webhook.channel.app_error", "Couldn't find the channel.")
            if hook["channel_locked"] and channel_id != hook["channel_id"]:
                raise SimError(403, "web.incoming_webhook.channel_locked.app_error",
                               "This webhook is not permitted to post to the requested channel.")
            self.create_post(
                {"channel_id": channel_id, "message": text if isinstance(text, str) else str(text), "props": props},
                hook["user_id"],
                post_type="slack_attachment" if attachments else "",
                from_webhook=True,
            )

    def create_emoji(self, meta: JSON, image: bytes | None, actor: str) -> JSON:
        """app/emoji.go CreateEmoji (see Api.create_emoji in app.py)."""
        with self.lock:
            name = meta.get("name")
            if not isinstance(name, str) or not re.fullmatch(r"[a-zA-Z0-9_+\-]{1,64}", name):
                raise SimError(400, "model.emoji.name.app_error", "Name must be 1 to 64 characters.")
            if meta.get("creator_id") != actor:
                raise SimError(403, "api.emoji.create.other_user.app_error", "Invalid user id.")
            if any(e["name"] == name for e in self.emoji.values()):
                raise SimError(400, "api.emoji.create.duplicate.app_error", "Unable to create emoji. Another emoji with the same name already exists.")
            if not image:
                raise SimError(400, "api.context.invalid_body_param.app_error", "Invalid or missing image in request body.")
            eid = self.new_id("emoji")
            now = now_ms()
            self.emoji[eid] = {"id": eid, "create_at": now, "update_at": now, "delete_at": 0,
                               "creator_id": actor, "name": name}
            self.emoji_images[eid] = bytes(image)
            return copy.deepcopy(self.emoji[eid])

    def create_command_webhook(self, command_id: str, user_id: str, channel_id: str, root_id: str = "") -> str:
        """app/webhook.go CreateCommandWebhook (a custom command's ``response_url``):
        model.CommandWebhook, ``UseCount`` 0, ``CreateAt`` now."""
        with self.lock:
            hook_id = self.new_id("command-hook")
            self.command_hooks[hook_id] = {"id": hook_id, "user_id": user_id, "channel_id": channel_id,
                                           "root_id": root_id, "create_at": now_ms(), "command_id": command_id,
                                           "use_count": 0}
            return hook_id

    def command_webhook(self, hook_id: str, payload: Any) -> None:
        """app/webhook.go HandleCommandWebhook -> HandleCommandResponse: the store's
        ``Get`` (404 ``app.command_webhook.get.missing`` for an unknown hook or one created
        more than ``model.CommandWebhookLifetime`` ago), ``TryUse(hook.Id, 5)`` (400
        ``app.command_webhook.try_use.invalid`` past the fifth use), then a post for the
        response and one for each of its ``extra_responses`` (HandleCommandResponsePost:
        ``post.SetProps(response.Props)``, then ``from_webhook`` and the attachments).
        The seeded hook (``ids["command_hook"]``) is a test fixture: it never expires and
        has no use limit (the suite uses it for hours and many times); hooks made by a
        custom command's execution or ``POST /__sim/command_hooks`` have both."""
        with self.lock:
            hook = self.command_hooks.get(hook_id)
            limited = hook is not None and "use_count" in hook
            if hook is None or (limited and hook["create_at"] <= now_ms() - COMMAND_WEBHOOK_LIFETIME_MS):
                raise SimError(404, "app.command_webhook.get.missing", "Webhook does not exist.")
            if not isinstance(payload, dict):
                raise SimError(400, "web.command_webhook.parse.app_error", "Unable to parse incoming data.")
            extras = payload.get("extra_responses") or []
            if not isinstance(extras, list):
                raise SimError(400, "web.command_webhook.parse.app_error", "Unable to parse incoming data.")
            if limited:
                if hook["use_count"] >= COMMAND_WEBHOOK_USES:
                    raise SimError(400, "app.command_webhook.try_use.invalid", "Invalid webhook.")
                hook["use_count"] += 1
            for response in [payload, *(e for e in extras if isinstance(e, dict))]:
                self._command_response_post(hook, response)

    def _command_response_post(self, hook: JSON, payload: JSON) -> None:
        text = payload.get("text", "")
        given = payload.get("props")
        props: JSON = dict(given) if isinstance(given, dict) else {}
        props["from_webhook"] = "true"
        if payload.get("attachments"):
            props["attachments"] = payload["attachments"]
        if not isinstance(text, str):
            raise bad_param("text")
        if payload.get("response_type") == "ephemeral":
            self.ephemeral_posts.append(
                {
                    "id": self.new_id("ephemeral"),
                    "create_at": now_ms(),
                    "channel_id": hook["channel_id"],
                    "user_id": hook["user_id"],
                    "message": text,
                    "props": props,
                    "type": "system_ephemeral",
                    "ephemeral_target_user_id": hook["user_id"],
                }
            )
            return
        self.create_post({"channel_id": hook["channel_id"], "message": text, "props": props}, hook["user_id"], from_webhook=True)

    def execute_command(self, body: Any, actor: str) -> JSON:
        """Built-in commands /echo, /me, /shrug, /header, /purpose, /rename, /away, /online."""
        with self.lock:
            if not isinstance(body, dict):
                raise bad_param("command")
            command = body.get("command")
            channel_id = body.get("channel_id")
            if not isinstance(command, str) or not command.startswith("/"):
                raise bad_param("command")
            if not isinstance(channel_id, str):
                raise bad_param("channel_id")
            self._channel(channel_id, actor, write=True)
            trigger, _, rest = command[1:].partition(" ")
            rest = rest.strip()
            trigger = trigger.lower()
            root = body.get("root_id", "") or ""
            if trigger in ("echo", "me", "shrug"):
                message = {"echo": rest, "me": f"*{rest}*", "shrug": f"{rest} ¯\\\\_(ツ)_/¯".strip()}[trigger]
                self.create_post({"channel_id": channel_id, "message": message, "root_id": root}, actor)
                return _command_response("")
            if trigger in ("header", "purpose", "rename"):
                key = {"header": "header", "purpose": "purpose", "rename": "display_name"}[trigger]
                self.patch_channel(channel_id, {key: rest}, actor)
                return _command_response("")
            if trigger in ("away", "online", "offline", "dnd"):
                return _command_response(f"You are now {trigger}.", ephemeral=True)
            raise SimError(
                404, "api.command.execute_command.not_found.app_error", f"Command with a trigger of '{trigger}' not found."
            )

    # -------------------------------------------------------------- channels
    def create_channel(self, body: Any, actor: str) -> JSON:
        with self.lock:
            if not isinstance(body, dict):
                raise bad_param("channel")
            team_id = body.get("team_id")
            name = body.get("name")
            ctype = body.get("type", "O")
            if not isinstance(team_id, str) or team_id not in self.teams:
                raise bad_param("team_id")
            if actor not in self.team_members[team_id]:
                raise forbidden()
            if not isinstance(name, str) or not name:
                raise bad_param("name")
            if ctype not in ("O", "P"):
                raise bad_param("type")
            if any(c["name"] == name and c["team_id"] == team_id for c in self.channels.values()):
                raise SimError(400, "store.sql_channel.save_channel.exists.app_error", "A channel with that name already exists on the same team.")
            cid = self.new_id("channel")
            ch = self._channel_json(cid, team_id, ctype, name, str(body.get("display_name", "")), actor, now_ms())
            ch["header"] = str(body.get("header", ""))
            ch["purpose"] = str(body.get("purpose", ""))
            self.channels[cid] = ch
            self.channel_members[cid] = {actor}
            return copy.deepcopy(ch)

    def update_channel(self, channel_id: str, body: Any, actor: str) -> JSON:
        with self.lock:
            if not isinstance(body, dict) or body.get("id") != channel_id:
                raise bad_param("channel")
            ch = self._channel(channel_id, actor, write=True)
            for key in ("display_name", "name", "header", "purpose"):
                if key in body:
                    if not isinstance(body[key], str):
                        raise bad_param(key)
                    ch[key] = body[key]
            ch["update_at"] = now_ms()
            return copy.deepcopy(ch)

    def channel_privacy(self, channel_id: str, body: Any, actor: str) -> JSON:
        """api4/channel.go updateChannelPrivacy: ``model.StringInterfaceFromJSON`` (a map:
        keys exact), ``privacy`` "O" or "P"; only an open or private channel converts."""
        with self.lock:
            privacy = dict.get(body, "privacy") if isinstance(body, dict) else None
            if privacy not in ("O", "P"):
                raise bad_param("privacy")
            ch = self._channel(channel_id, actor, write=True)
            if ch["type"] not in ("O", "P"):
                raise SimError(400, "api.channel.update_channel_privacy.default_channel_error",
                               "The channel cannot be converted.")
            ch["type"] = privacy
            ch["update_at"] = now_ms()
            return copy.deepcopy(ch)

    def patch_channel(self, channel_id: str, body: Any, actor: str) -> JSON:
        with self.lock:
            if not isinstance(body, dict):
                raise bad_param("channel")
            ch = self._channel(channel_id, actor, write=True)
            for key in ("display_name", "name", "header", "purpose"):
                if key in body and body[key] is not None:
                    if not isinstance(body[key], str):
                        raise bad_param(key)
                    ch[key] = body[key]
            ch["update_at"] = now_ms()
            return copy.deepcopy(ch)

    def direct_channel(self, body: Any, actor: str) -> JSON:
        with self.lock:
            if (
                not isinstance(body, list)
                or len(body) != 2
                or not all(isinstance(u, str) and u in self.users for u in body)
            ):
                raise bad_param("user_ids")
            if actor not in body and not self.is_admin(actor):
                raise forbidden()
            a, b = sorted(body)
            name = f"{a}__{b}"
            for ch in self.channels.values():
                if ch["type"] == "D" and ch["name"] == name:
                    return copy.deepcopy(ch)
            cid = self.new_id("dm")
            ch = self._channel_json(cid, "", "D", name, "", actor, now_ms())
            self.channels[cid] = ch
            self.channel_members[cid] = {a, b}
            return copy.deepcopy(ch)

    def create_bookmark(self, channel_id: str, body: Any, actor: str) -> JSON:
        with self.lock:
            self._channel(channel_id, actor, write=True)
            if not isinstance(body, dict):
                raise bad_param("bookmark")
            btype = body.get("type", "link")
            display = body.get("display_name")
            if not isinstance(display, str) or not display:
                raise bad_param("display_name")
            if btype == "link" and not isinstance(body.get("link_url"), str):
                raise bad_param("link_url")
            if btype == "file" and body.get("file_id") not in self.files:
                raise bad_param("file_id")
            t = now_ms()
            bm: JSON = {
                "id": self.new_id("bookmark"),
                "create_at": t,
                "update_at": t,
                "delete_at": 0,
                "channel_id": channel_id,
                "owner_id": actor,
                "file_id": body.get("file_id", "") or "",
                "display_name": display,
                "sort_order": sum(1 for b in self.bookmarks.values() if b["channel_id"] == channel_id),
                "link_url": body.get("link_url", "") or "",
                "image_url": body.get("image_url", "") or "",
                "emoji": body.get("emoji", "") or "",
                "type": btype,
                "original_id": "",
                "parent_id": "",
            }
            self.bookmarks[bm["id"]] = bm
            out = copy.deepcopy(bm)
            if bm["file_id"]:
                out["file"] = copy.deepcopy(self.files[bm["file_id"]])
            return out

    def patch_bookmark(self, channel_id: str, bookmark_id: str, body: Any, actor: str) -> JSON:
        with self.lock:
            self._channel(channel_id, actor, write=True)
            bm = self.bookmarks.get(bookmark_id)
            if bm is None or bm["channel_id"] != channel_id:
                raise SimError(404, "app.channel.bookmark.get.app_error", "Unable to find the bookmark.")
            if not isinstance(body, dict):
                raise bad_param("bookmark")
            before = copy.deepcopy(bm)
            for key in ("display_name", "link_url", "image_url", "emoji", "file_id", "sort_order"):
                if key in body:
                    bm[key] = body[key]
            bm["update_at"] = now_ms()
            return {"updated": copy.deepcopy(bm), "deleted": before}

    # ----------------------------------------------------------------- users
    def _editable_user(self, user_id: str, actor: str) -> JSON:
        user = self.users.get(user_id)
        if user is None:
            raise SimError(404, "app.user.missing_account.const", "Unable to find the user.")
        if user_id != actor and not self.is_admin(actor):
            raise forbidden()
        return user

    def set_active(self, user_id: str, active: bool, actor: str) -> JSON:
        """DELETE /users/{id} (a soft delete) and PUT /users/{id}/active as api4/user.go
        deleteUser / updateUserActive and app.UpdateActive do them: ``delete_at`` is set
        to now (0 again when reactivated) and a deactivation revokes the user's sessions
        (RevokeAllSessions); GET /users/{id} then shows ``delete_at`` > 0.  Another
        user needs a system admin (edit_other_users, sysconsole_write_user_management_users),
        as does a system admin's account (manage_system)."""
        with self.lock:
            user = self._editable_user(user_id, actor)
            if self.is_admin(user_id) and not self.is_admin(actor):
                raise forbidden()
            user["delete_at"] = 0 if active else now_ms()
            user["update_at"] = now_ms()
            if not active:
                revoked = [t for t, sess in self.sessions.items() if sess.user_id == user_id and sess.kind == "session"]
                for token in revoked:
                    del self.sessions[token]
            return {"status": "OK"}

    _USER_FIELDS = ("username", "nickname", "first_name", "last_name", "position", "email", "locale", "props", "notify_props", "timezone")

    def patch_user(self, user_id: str, body: Any, actor: str) -> JSON:
        with self.lock:
            if not isinstance(body, dict):
                raise bad_param("user")
            user = self._editable_user(user_id, actor)
            for key in self._USER_FIELDS:
                if key in body and body[key] is not None:
                    user[key] = body[key]
            user["update_at"] = now_ms()
            return copy.deepcopy(user)

    def update_user(self, user_id: str, body: Any, actor: str) -> JSON:
        with self.lock:
            if not isinstance(body, dict) or body.get("id") != user_id:
                raise bad_param("user")
            return self.patch_user(user_id, body, actor)

    def set_custom_status(self, user_id: str, body: Any, actor: str) -> JSON:
        with self.lock:
            self._editable_user(user_id, actor)
            if not isinstance(body, dict) or not isinstance(body.get("text", ""), str):
                raise bad_param("custom_status")
            self.custom_status[user_id] = copy.deepcopy(body)
            self.users[user_id]["props"]["customStatus"] = _json_dumps(body)
            return {"status": "OK"}

    def create_bot(self, body: Any, actor: str) -> JSON:
        with self.lock:
            if not self.is_admin(actor):
                raise forbidden()
            if not isinstance(body, dict) or not isinstance(body.get("username"), str) or not body["username"]:
                raise bad_param("username")
            if self.user_by_login(body["username"]) is not None:
                raise SimError(400, "app.user.save.username_exists.app_error", "An account with that username already exists.")
            uid = self.new_id("bot")
            t = now_ms()
            self.users[uid] = self._user_json(uid, body["username"], "system_user", t, is_bot=True)
            # model.UserFromBot: the bot's display name is its user's first name
            self.users[uid]["first_name"] = str(body.get("display_name", ""))
            for members in self.team_members.values():
                members.add(uid)
            bot: JSON = {
                "user_id": uid,
                "username": body["username"],
                "display_name": str(body.get("display_name", "")),
                "description": str(body.get("description", "")),
                "owner_id": actor,
                "create_at": t,
                "update_at": t,
                "delete_at": 0,
            }
            self.bots[uid] = bot
            return copy.deepcopy(bot)

    def create_user_access_token(self, user_id: str, body: Any, actor: str) -> JSON:
        """POST /api/v4/users/{user_id}/tokens (api4/user.go createUserAccessToken: the
        user itself, a bot's owner (``manage_bots``) or a system admin; app/user.go
        CreateUserAccessToken: ``description`` required; the token is shown once)."""
        with self.lock:
            user = self.users.get(user_id)
            bot = self.bots.get(user_id)
            allowed = actor == user_id or self.is_admin(actor) or (bot is not None and bot.get("owner_id") == actor)
            if user is None or not allowed:
                raise forbidden()
            if not isinstance(body, dict) or not isinstance(body.get("description"), str) or not body["description"]:
                raise bad_param("description")
            token = self.new_id("user-access-token")
            self.sessions[token] = Session(token, user_id, csrf=self.new_id("csrf"), kind="pat")
            return {"id": self.new_id("user-access-token-id"), "token": token, "user_id": user_id,
                    "description": body["description"], "is_active": True}

    def patch_bot(self, bot_id: str, body: Any, actor: str) -> JSON:
        """PUT /api/v4/bots/{bot_user_id} (api4/bot.go patchBot: model.BotPatch;
        the owner (manage_bots) or a system admin (manage_others_bots); app/bot.go
        PatchBot saves the user from model.UserFromBot, so the display name becomes
        the bot user's first name)."""
        with self.lock:
            bot = self.bots.get(bot_id)
            if bot is None or bot.get("delete_at") or (not self.is_admin(actor) and bot.get("owner_id") != actor):
                raise SimError(404, "store.sql_bot.get.missing.app_error", "Unable to find the existing bot.")
            if not isinstance(body, dict):
                raise bad_param("bot")
            for key in ("username", "display_name", "description"):
                if isinstance(body.get(key), str):
                    bot[key] = body[key]
            bot["update_at"] = now_ms()
            user = self.users[bot_id]
            user["username"], user["first_name"] = bot["username"], bot["display_name"]
            return copy.deepcopy(bot)

    def assign_bot(self, bot_id: str, user_id: str, actor: str) -> JSON:
        """POST /api/v4/bots/{bot_user_id}/assign/{user_id} (api4/bot.go assignBot: the
        owner (manage_bots) or a system admin (manage_others_bots); a bot cannot own a
        bot; app/bot.go UpdateBotOwner sets ``owner_id``)."""
        with self.lock:
            bot = self.bots.get(bot_id)
            if bot is None or (not self.is_admin(actor) and bot.get("owner_id") != actor):
                raise SimError(404, "store.sql_bot.get.missing.app_error", "Unable to find the existing bot.")
            user = self.users.get(user_id)
            if user is None:
                raise not_found("user")
            if user.get("is_bot"):
                raise forbidden()
            bot["owner_id"] = user_id
            bot["update_at"] = now_ms()
            return copy.deepcopy(bot)

    def users_by_usernames(self, body: Any, actor: str) -> list[JSON]:
        """POST /api/v4/users/usernames (api4/user.go getUsersByUsernames: a JSON
        array of usernames, model.SortedArrayFromJSON; unknown names left out;
        app/user.go SanitizeProfile for others)."""
        if not isinstance(body, list) or not body or not all(isinstance(u, str) for u in body):
            raise bad_param("usernames")
        with self.lock:
            admin = self.is_admin(actor)
            wanted = set(body)
            out: list[JSON] = []
            for uid, user in self.users.items():
                if user["username"] not in wanted:
                    continue
                u = copy.deepcopy(user)
                if not admin and uid != actor:
                    for secret in ("email", "auth_data", "auth_service", "notify_props", "last_password_update"):
                        u.pop(secret, None)
                out.append(u)
            return out

    def create_team(self, body: Any, actor: str) -> JSON:
        """POST /api/v4/teams (api4/team.go createTeam: model.Team from JSON;
        create_team is a system_user permission; the creator joins as team admin)."""
        with self.lock:
            if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
                raise bad_param("name")
            if not isinstance(body.get("display_name"), str) or not body["display_name"]:
                raise bad_param("display_name")
            tid = self.new_id("team")
            t = now_ms()
            team = copy.deepcopy(self.teams[self.ids["team"]])
            team.update({"id": tid, "create_at": t, "update_at": t, "name": body["name"],
                         "display_name": body["display_name"], "type": str(body.get("type", "O")),
                         "description": str(body.get("description", "")), "invite_id": self.new_id("invite")})
            self.teams[tid] = team
            self.team_members[tid] = {actor}
            self.team_admins.setdefault(tid, set()).add(actor)
            return copy.deepcopy(team)

    def patch_team(self, team_id: str, body: Any, actor: str) -> JSON:
        """PUT /api/v4/teams/{team_id}/patch and PUT /api/v4/teams/{team_id}
        (api4/team.go patchTeam, updateTeam: manage_team, a team or system admin)."""
        with self.lock:
            team = self.teams.get(team_id)
            if team is None:
                raise not_found("team")
            if actor not in self.team_admins.get(team_id, set()) and not self.is_admin(actor):
                raise forbidden()
            if not isinstance(body, dict):
                raise bad_param("team")
            for key in ("display_name", "description", "company_name", "allowed_domains", "allow_open_invite"):
                if key in body and body[key] is not None:
                    team[key] = body[key]
            team["update_at"] = now_ms()
            return copy.deepcopy(team)

    def get_bot(self, bot_id: str, actor: str, *, include_deleted: bool = False) -> JSON:
        """GET /api/v4/bots/{bot_user_id} as api4/bot.go getBot answers it: anyone
        with read_others_bots (system admins) sees any bot; the owner sees their own
        (read_bots); everyone else gets the same 404 as for a user who is no bot."""
        with self.lock:
            bot = self.bots.get(bot_id)
            if bot is None or (bot.get("delete_at") and not include_deleted):
                raise SimError(404, "store.sql_bot.get.missing.app_error", "Unable to find the existing bot.")
            if not self.is_admin(actor) and bot.get("owner_id") != actor:
                raise SimError(404, "store.sql_bot.get.missing.app_error", "Unable to find the existing bot.")
            return copy.deepcopy(bot)

    # ------------------------------------------------------------- playbooks
    def create_run(self, body: Any, actor: str) -> JSON:
        with self.lock:
            if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
                raise SimError(400, "playbooks.run.invalid", "name is required")
            team_id = body.get("team_id") or self.ids["team"]
            rid = self.new_id("run")
            t = now_ms()
            run: JSON = {
                "id": rid,
                "name": body["name"],
                "summary": str(body.get("description", body.get("summary", ""))),
                "owner_user_id": body.get("owner_user_id") or actor,
                "reporter_user_id": actor,
                "team_id": team_id,
                "channel_id": body.get("channel_id") or self.ids["channels"]["town_square"],
                "create_at": t,
                "end_at": 0,
                "current_status": "InProgress",
                "playbook_id": body.get("playbook_id", "") or "",
                "status_posts": [],
            }
            self.runs[rid] = run
            return copy.deepcopy(run)

    def run_status(self, run_id: str, body: Any, actor: str) -> JSON:
        with self.lock:
            run = self.runs.get(run_id)
            if run is None:
                raise SimError(404, "playbooks.run.not_found", "run not found")
            if not isinstance(body, dict) or not isinstance(body.get("message"), str):
                raise SimError(400, "playbooks.run.invalid", "message is required")
            post = self.create_post({"channel_id": run["channel_id"], "message": body["message"]}, actor)
            run["status_posts"].append({"id": post["id"], "create_at": post["create_at"], "delete_at": 0})
            return copy.deepcopy(run)


def _command_response(text: str, *, ephemeral: bool = False) -> JSON:
    return {
        "response_type": "ephemeral" if ephemeral else "",
        "text": text,
        "username": "",
        "channel_id": "",
        "icon_url": "",
        "type": "",
        "props": None,
        "goto_location": "",
        "trigger_id": "",
        "skip_slack_parsing": False,
        "attachments": None,
        "extra_responses": None,
    }


def _json_dumps(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


_MIME = {
    "txt": "text/plain",
    "csv": "text/csv",
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "json": "application/json",
    "zip": "application/zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _guess_mime(ext: str) -> str:
    return _MIME.get(ext, "application/octet-stream")
