"""config.toml: read with tomllib, written with tomli-w, mode 0600, secrets masked.

Values may reference the environment as ``${VAR}``; those are resolved when read, never
written back. A source's keys can also come from ``SHAREKIT_<SOURCE>_<KEY>`` variables.
"""

from __future__ import annotations

import copy
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.envnames import source_env_prefix
from ..core.redact import MASK, SECRET_WORDS, is_secret_key, mask_secrets  # noqa: F401 - re-exported
from ..errors import ConfigError, NotFoundError

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

DEFAULTS: dict[str, Any] = {
    "timezone": "Asia/Shanghai",
    "currency": "CNY",
    "brand": {"name": "My Shop", "color": "#E4393C", "slogan": "", "logo": ""},
    "server": {"base_url": "", "host": "127.0.0.1", "port": 8080},
    "poster": {"template": "moments", "quality": 88, "format": "jpg"},
    "channels": {"min_days_between": 3},
    "sources": {},
}

# Expected types of well-known keys; ``*`` matches any one table name.
KEY_TYPES: dict[str, tuple[type, ...]] = {
    "timezone": (str,),
    "currency": (str,),
    "brand.name": (str,),
    "brand.logo": (str,),
    "brand.color": (str,),
    "brand.slogan": (str,),
    "server.base_url": (str,),
    "server.host": (str,),
    "server.port": (int,),
    "poster.font": (str, list),
    "poster.template": (str,),
    "poster.quality": (int,),
    "poster.format": (str,),
    "poster.share_text": (str,),
    "channels.min_days_between": (int,),
    "sources.*.kind": (str,),
    "sources.*.endpoint": (str,),
    "sources.*.timeout": (int, float),
    "sources.*.rate_limit": (int, float),
    "sources.*.retries": (int,),
    "sources.*.currency": (str,),
}


def _resolve_env(value: Any) -> Any:
    if isinstance(value, str):
        return _ENV_REF.sub(lambda m: os.environ.get(m.group(1), ""), value)
    if isinstance(value, list):
        return [_resolve_env(v) for v in value]
    if isinstance(value, dict):
        return {k: _resolve_env(v) for k, v in value.items()}
    return value


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _lookup(data: Mapping[str, Any], parts: list[str]) -> Any:
    node: Any = data
    for part in parts:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def find_key_line(text: str, dotted: str) -> int | None:
    """Best-effort line number (1-based) of ``dotted`` in TOML ``text``."""
    parts = dotted.split(".")
    table, leaf = parts[:-1], parts[-1]
    current: list[str] = []
    header = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+\s*(#.*)?$")
    for number, line in enumerate(text.splitlines(), start=1):
        m = header.match(line)
        if m:
            current = [p.strip().strip('"') for p in m.group(1).split(".")]
            continue
        m = re.match(r"^\s*([A-Za-z0-9_\-\".]+)\s*=", line)
        if m:
            key_parts = current + [p.strip().strip('"') for p in m.group(1).split(".")]
            if key_parts == table + [leaf]:
                return number
    return None


def _type_names(types: tuple[type, ...]) -> str:
    names = {"str": "a string", "int": "an integer", "float": "a number", "list": "a list", "bool": "true or false"}
    return " or ".join(names.get(t.__name__, t.__name__) for t in types)


def _type_matches(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def _pattern_for(dotted: str) -> tuple[type, ...] | None:
    parts = dotted.split(".")
    for pattern, types in KEY_TYPES.items():
        pp = pattern.split(".")
        if len(pp) == len(parts) and all(a == "*" or a == b for a, b in zip(pp, parts, strict=True)):
            return types
    return None


def _typed_env_value(env_key: str, raw: str, types: tuple[type, ...] | None) -> Any:
    """An override from the environment: a string, or a number for keys typed as numbers."""
    if types is None or str in types:
        return raw
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    if not _type_matches(value, types):
        raise ConfigError(f"${env_key}: {raw!r} must be {_type_names(types)}.")
    return value


def _walk(data: Mapping[str, Any], prefix: str = ""):
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _walk(value, dotted + ".")
        else:
            yield dotted, value


@dataclass
class Config:
    """The loaded configuration: the file's own values over the defaults."""

    path: Path
    data: dict[str, Any] = field(default_factory=dict)  # the file's values, unresolved
    text: str = ""

    @property
    def merged(self) -> dict[str, Any]:
        return _merge(DEFAULTS, self.data)

    def get(self, key: str, default: Any = None, *, resolve: bool = True) -> Any:
        """The value at dotted ``key`` (env references resolved), or ``default``."""
        node: Any = self.merged
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return _resolve_env(node) if resolve else node

    def require(self, key: str) -> Any:
        """The value at ``key``; a ConfigError naming the file when it is missing."""
        value = self.get(key)
        if value in (None, ""):
            raise ConfigError(f"{self.path}: `{key}` is not set.", hint=f"Run `sharekit config set {key} VALUE`.")
        return value

    @property
    def timezone(self) -> str:
        return str(self.get("timezone"))

    @property
    def currency(self) -> str:
        return str(self.get("currency")).upper()

    def source_names(self) -> list[str]:
        return sorted((self.data.get("sources") or {}).keys())

    def source(self, name: str) -> dict[str, Any]:
        """A source's settings: file values, env references resolved, SHAREKIT_<NAME>_<KEY> over them,
        plus the ``[channels.*]`` tables under ``channels`` (per-channel supplier tags)."""
        sources = self.data.get("sources") or {}
        if name not in sources:
            known = ", ".join(sorted(sources)) or "none configured"
            raise NotFoundError(
                f"No source named `{name}` in {self.path} (known: {known}).",
                hint=f"Add a [sources.{name}] table with a `kind`.",
            )
        settings = _resolve_env(dict(sources[name]))
        prefix = source_env_prefix(name)
        for env_key, env_value in os.environ.items():
            if env_key.startswith(prefix) and env_value:
                key = env_key[len(prefix):].lower()
                settings[key] = _typed_env_value(env_key, env_value, _pattern_for(f"sources.{name}.{key}"))
        # Channel tags per supplier (amazon_tag, taobao_relation_id, ...) live in [channels.NAME].
        tables = _resolve_env(self.data.get("channels") or {})
        settings.setdefault("channels", {k: dict(v) for k, v in tables.items() if isinstance(v, Mapping)})
        return settings

    def line_of(self, key: str) -> int | None:
        return find_key_line(self.text, key)

    def masked(self, *, resolve: bool = True) -> dict[str, Any]:
        """The merged config with every secret replaced by a mask (for display).

        ``${VAR}`` references are resolved (unless ``resolve`` is false) before masking, so a
        secret never shows, and a plain value shows what sharekit will actually use.
        """
        merged = self.merged
        return mask_secrets(_resolve_env(merged) if resolve else merged)

    def validate(self) -> None:
        """Check the types of well-known keys; a ConfigError names the file and line."""
        for dotted, value in _walk(self.data):
            types = _pattern_for(dotted)
            if types and not _type_matches(value, types):
                line = self.line_of(dotted)
                where = f"{self.path}, line {line}" if line else str(self.path)
                wanted = _type_names(types)
                raise ConfigError(f"{where}: `{dotted}` must be {wanted}, not {type(value).__name__}.")
        tz = self.get("timezone")
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(str(tz))
        except Exception:
            line = self.line_of("timezone")
            where = f"{self.path}, line {line}" if line else str(self.path)
            raise ConfigError(f"{where}: `timezone` {tz!r} is not a known time zone.") from None


def load_config(path: Path) -> Config:
    """Read and validate ``path``; a missing file gives the defaults."""
    if not path.exists():
        return Config(path=path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text.") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror}.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = m.group(1) if m else (str(len(text.splitlines()) or 1) if "end of document" in str(exc) else None)
        where = f"{path}, line {line}" if line else str(path)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        reason = re.sub(r"\s*\(at end of document\)", "", reason)
        raise ConfigError(f"{where}: invalid TOML ({reason}).") from None
    config = Config(path=path, data=data, text=text)
    config.validate()
    return config


def parse_cli_value(raw: str, key: str | None = None) -> Any:
    """Turn a `config set` value into a TOML value: numbers, booleans, arrays; else a string.

    With ``key``, a value for a key known to be a string, a secret, or a source setting that
    looks like a number (account ids, app keys: ``123456``) stays the string that was typed.
    """
    if key is not None:
        types = _pattern_for(key)
        if types is not None and str in types and not any(t in types for t in (int, float, list, bool)):
            return raw
        if is_secret_key(key):
            return raw
        if types is None and key.startswith("sources.") and re.fullmatch(r"[+-]?\d+", raw.strip()):
            return raw
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def write_config(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` atomically to ``path`` with mode 0600."""
    import tomli_w

    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            tomli_w.dump(dict(data), fh)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def set_value(config: Config, key: str, value: Any) -> Config:
    """Set dotted ``key`` to ``value`` in the file, validating its type first."""
    if not key or any(not part for part in key.split(".")):
        raise ConfigError(f"`{key}` is not a valid dotted key.")
    types = _pattern_for(key)
    if types and not _type_matches(value, types):
        wanted = _type_names(types)
        raise ConfigError(f"{config.path}: `{key}` must be {wanted}, not {type(value).__name__}.")
    data = copy.deepcopy(config.data)
    node = data
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"`{key}`: `{part}` is a value, not a table.")
        node = child
    current = node.get(parts[-1], _lookup(DEFAULTS, parts))
    if isinstance(current, Mapping) and not isinstance(value, Mapping):
        raise ConfigError(f"`{key}` is a table; set one of its keys (e.g. `{key}.NAME`).")
    node[parts[-1]] = value
    candidate = Config(path=config.path, data=data, text="")
    candidate.validate()
    write_config(config.path, data)
    return load_config(config.path)


STARTER_CONFIG: dict[str, Any] = {
    "timezone": "Asia/Shanghai",
    "currency": "CNY",
    "brand": {"name": "My Shop", "color": "#E4393C", "slogan": "好物分享"},
    "server": {"base_url": "", "host": "127.0.0.1", "port": 8080},
}
