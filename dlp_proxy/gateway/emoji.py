"""Custom emoji whose picture shows a digit are refused at creation.

The web app shows a custom emoji's picture inline, at text size, for its shortcode
(``:name:``).  Ten emoji drawn as the ten digits let a post made only of shortcodes
show any number, ``client SSN :kxy::kxr::kxu:-...``, while no request holds a digit:
each picture is harmless alone and the post holds names (attack pass 8, F4).

``POST /api/v4/emoji`` (server/channels/api4/emoji.go ``createEmoji``:
``r.ParseMultipartForm``, the ``emoji`` field a JSON ``model.Emoji``, the ``image``
file; app/emoji.go ``CreateEmoji`` keeps an original up to 1028 x 1028 px and resizes
it to 128 x 128) is a file route: its picture goes through the file workers' OCR, where
a small picture with no text on its page reading is read again as a glyph
(dlp_proxy/files/glyph.py).  A picture whose reading holds a digit (any script: a
character with a numeric value) is refused, 400, rule ``emoji-digit-image``: a digit
shown as a picture is what turns shortcodes into a number.  Letters are allowed
(``LGTM``, ``A``).  Limits: emoji made before the gateway, or through another door, are
not read; a digit drawn so that OCR does not read it as one passes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from dlp_proxy.model import ContentItem, ItemKind

ROUTES = frozenset({"emoji.create"})
RULE = "emoji-digit-image"
#: a text a picture was read into (``ocr``, ``ocr/glyph``, ``frame=2/ocr/alpha``...),
#: not its metadata (a PNG text chunk's date is no picture of a digit)
_READ_FROM_PICTURE = re.compile(r"(?:^|[:/])ocr(?:$|[/=])")


def _has_digit(text: str) -> bool:
    return any(ch.isdigit() or unicodedata.numeric(ch, None) is not None for ch in text)


def digit_image_refusal(route_name: str, items: Iterable[ContentItem]) -> str | None:
    """Why the custom emoji this request creates is refused, or None."""
    if route_name not in ROUTES:
        return None
    for item in items:
        if item.kind is ItemKind.FILE and _READ_FROM_PICTURE.search(item.path) and _has_digit(item.text):
            return ("its picture shows a digit; shown inline for a shortcode, pictures of digits write "
                    "numbers the message does not hold")
    return None
