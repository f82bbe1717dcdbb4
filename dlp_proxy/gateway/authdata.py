"""A user's identity-provider fields read as what they are: a person's identifier.

``auth_data`` and ``auth_service`` are stored as sent and shown to system admins (System
Console > Users, every user object an admin reads) by:

- ``PUT /api/v4/users/{user_id}/auth`` (api4/user.go updateUserAuth, json into
  model.UserAuth; app/user.go UpdateUserAuth -> ``Store().User().UpdateAuthData``, no
  format check beyond "not empty");
- ``POST /api/v4/users`` by a system admin (createUser: ``SanitizeInput`` clears them only
  for other callers; CreateUserAsAdmin stores them).

(``PUT /api/v4/users/{user_id}`` keeps the stored ones: sqlstore ``Update`` copies
``AuthData``/``AuthService`` from the old user.)

By its role ``auth_data`` holds the number or name a person is known by at an identity
provider, so a number in it needs no label to be a person's number: a bare nine digits
there is what the detector reads unlabelled as a count or an id elsewhere
(docs/detection.md: a bare nine needs a label), and it reaches the admins' screens.
The rule: every run of exactly nine decimal digits in these fields that no letter or
digit touches (format characters such as U+200B removed first) is read again as
``SSN <run>``, and the detector's own checks decide (SSN areas, groups and serials;
ITIN ranges; ``123456789`` and other invalid numbers stay unflagged).  Cards and IBANs
need no label (their checksums) and forms with separators (``AAA-GG-SSSS``) are found as
they are, so only the bare run is labelled.

What real identity providers put there, and why it passes (measured with the detector on
generated values, tests/test_auth_data_identifiers.py):

- GitLab (``strconv.FormatInt(id, 10)``): a database serial, 1-8 digits on gitlab.com,
  fewer on a self-hosted one: never nine;
- Google (People API id) and OpenID ``sub`` from Google: 21 digits: a longer run;
- Office 365 / Entra ID object id, Keycloak ``sub``, LDAP ``entryUUID``/``objectGUID``:
  a GUID, hex groups of 8-4-4-4-12 that touch letters or a dash-bounded group of another
  length (labelling the whole GUID instead made 1 in 150 an SSN: not done);
- Okta (``00u...``), Auth0 (``auth0|<hex>``), SAML persistent NameIDs: letters touch the
  digits; LDAP DNs, ``uid``/``sAMAccountName`` and SAML email NameIDs: words.

What is stopped that a site may use: an LDAP ``employeeNumber`` (or any IdP attribute)
of nine digits that passes the SSN checks.  It is indistinguishable from an SSN, and
firms long used SSNs as employee numbers: fail closed, as for any other field.  Bank
account numbers still need their label here (any numeric IdP id has their shape).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from dlp_proxy.gateway.extract import go_field_name
from dlp_proxy.model import ContentItem

#: route names whose body may set these fields (routes.py ``users.create``; the credential
#: route's fields judged: pipeline.CREDENTIALS_ROUTE, whose kept names include them only
#: on ``/api/v4/users/{user_id}/auth``)
ROUTES = frozenset({"users.create", "credentials.fields"})
#: the stored identity fields (model.User ``auth_data``, ``auth_service``; Go folds a key's case)
FIELDS = frozenset({"auth_data", "auth_service"})
#: the label the detector reads a bare run with (it covers SSN and ITIN)
LABEL = "SSN"
#: nine decimal digits no letter or digit touches (``_`` and marks are no part of an id's word)
_BARE_NINE = re.compile(r"(?<![^\W_])\d{9}(?![^\W_])")


def _field(path: str) -> str | None:
    """The stored field an item's path names (``body.AUTH_DATA``, ``body.auth_data#1``), or None."""
    top, dot, key = path.partition(".")
    if top != "body" or not dot:
        return None
    name = go_field_name(key.split("#", 1)[0])
    return name if name in FIELDS else None


def bare_runs(value: str) -> list[str]:
    """The runs of nine digits in ``value`` read with a label (module docstring)."""
    shown = "".join(ch for ch in value if unicodedata.category(ch) != "Cf")
    return [m.group() for m in _BARE_NINE.finditer(shown)]


def readings(route_name: str, items: Iterable[ContentItem]) -> list[ContentItem]:
    """The labelled readings of the bare runs in a request's identity fields, each an item
    of its own (``<path>#identity``: it belongs to no field, so a redaction becomes a block)."""
    if route_name not in ROUTES:
        return []
    out: list[ContentItem] = []
    for item in items:
        if _field(item.path) is None:
            continue
        out.extend(ContentItem(f"{item.path}#identity", f"{LABEL} {run}") for run in bare_runs(item.text))
    return out
