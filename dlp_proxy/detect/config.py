"""config/recognizers.yaml: Presidio's recognizer-registry format plus firm settings.

Top-level keys (all optional):

``recognizers``      Presidio no-code recognizers (patterns / deny_list / context),
                     exactly as ``RecognizerRegistry.add_recognizers_from_yaml`` reads them.
``context``          extra context words per entity type, added to the built-in recognizers.
``allow_list``       per entity type: ``values`` (compared on their alphanumeric
                     characters) and ``regex`` (full match) that are never reported.
``account_formats``  firm-specific account number formats (US_BANK_NUMBER).
``settings``         score_threshold, max_chars, window_chars, window_overlap,
                     max_decode_depth, max_blob_chars, max_decoded_chars.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dlp_proxy.interfaces import DLPError
from dlp_proxy.model import ENTITY_TYPES


class DetectionConfigError(DLPError):
    """config/recognizers.yaml is invalid (the message names the file and the key)."""


@dataclass(frozen=True)
class Limits:
    score_threshold: float = 0.5
    max_chars: int = 5_000_000
    window_chars: int = 20_000
    window_overlap: int = 400
    max_decode_depth: int = 3
    max_blob_chars: int = 1_000_000
    max_decoded_chars: int = 4_000_000


@dataclass(frozen=True)
class AllowList:
    values: frozenset[str] = frozenset()
    regexes: tuple[re.Pattern[str], ...] = ()

    def allows(self, value: str) -> bool:
        canon = "".join(filter(str.isalnum, value)).lower()
        if canon in self.values or value in self.values:
            return True
        return any(rx.fullmatch(value) or rx.fullmatch(canon) for rx in self.regexes)


@dataclass(frozen=True)
class DetectionConfig:
    path: Path | None = None
    yaml_recognizers: tuple[dict[str, Any], ...] = ()
    context: dict[str, tuple[str, ...]] = field(default_factory=dict)
    allow_lists: dict[str, AllowList] = field(default_factory=dict)
    account_formats: tuple[dict[str, Any], ...] = ()
    limits: Limits = Limits()


def load_config(config_dir: Path | None) -> DetectionConfig:
    if config_dir is None:
        return DetectionConfig()
    path = config_dir / "recognizers.yaml"
    if not path.exists():
        return DetectionConfig()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DetectionConfigError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise DetectionConfigError(f"{path}: top level must be a mapping")
    known = {"recognizers", "context", "allow_list", "account_formats", "settings"}
    unknown = set(data) - known
    if unknown:
        raise DetectionConfigError(f"{path}: unknown key(s) {sorted(unknown)}; expected {sorted(known)}")

    recs = data.get("recognizers") or []
    if not isinstance(recs, list):
        raise DetectionConfigError(f"{path}: 'recognizers' must be a list")
    for i, r in enumerate(recs):
        if not isinstance(r, dict) or not (r.get("supported_entity") or r.get("supported_entities")):
            raise DetectionConfigError(f"{path}: recognizers[{i}] needs supported_entity")
        if not (r.get("patterns") or r.get("deny_list")):
            raise DetectionConfigError(f"{path}: recognizers[{i}] needs patterns or deny_list")
        for j, p in enumerate(r.get("patterns") or []):
            try:
                re.compile(p["regex"])
            except (KeyError, TypeError, re.error) as exc:
                raise DetectionConfigError(f"{path}: recognizers[{i}].patterns[{j}].regex: {exc}") from exc

    context: dict[str, tuple[str, ...]] = {}
    for ent, words in (data.get("context") or {}).items():
        if ent not in ENTITY_TYPES:
            raise DetectionConfigError(f"{path}: context.{ent}: unknown entity type")
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise DetectionConfigError(f"{path}: context.{ent} must be a list of words")
        context[ent] = tuple(words)

    allow: dict[str, AllowList] = {}
    for ent, spec in (data.get("allow_list") or {}).items():
        if not isinstance(spec, dict):
            raise DetectionConfigError(f"{path}: allow_list.{ent} must be a mapping with values/regex")
        vals = spec.get("values") or []
        rxs: list[re.Pattern[str]] = []
        for k, rx in enumerate(spec.get("regex") or []):
            try:
                rxs.append(re.compile(str(rx)))
            except re.error as exc:
                raise DetectionConfigError(f"{path}: allow_list.{ent}.regex[{k}]: {exc}") from exc
        allow[ent] = AllowList(
            frozenset("".join(c for c in str(v) if c.isalnum()).lower() for v in vals), tuple(rxs)
        )

    formats = data.get("account_formats") or []
    if not isinstance(formats, list):
        raise DetectionConfigError(f"{path}: 'account_formats' must be a list")
    for i, f in enumerate(formats):
        if not isinstance(f, dict) or "regex" not in f:
            raise DetectionConfigError(f"{path}: account_formats[{i}] needs a regex")
        try:
            re.compile(str(f["regex"]))
        except re.error as exc:
            raise DetectionConfigError(f"{path}: account_formats[{i}].regex: {exc}") from exc

    settings = data.get("settings") or {}
    base = Limits()
    kw: dict[str, Any] = {}
    for name, value in settings.items():
        if not hasattr(base, name):
            raise DetectionConfigError(f"{path}: settings.{name}: unknown setting")
        try:
            kw[name] = type(getattr(base, name))(value)
        except (TypeError, ValueError) as exc:
            raise DetectionConfigError(f"{path}: settings.{name}: {exc}") from exc
    limits = Limits(**kw)
    if limits.window_overlap * 2 >= limits.window_chars:
        raise DetectionConfigError(f"{path}: settings.window_overlap must be < window_chars / 2")
    return DetectionConfig(path, tuple(recs), context, allow, tuple(formats), limits)
