"""config.toml: read with tomllib, written with tomli-w, mode 0600, secrets masked.

Values may reference the environment as ``${VAR}``; those are resolved when read, never
written back. A source's keys can also come from ``SHAREKIT_<SOURCE>_<KEY>`` variables.
"""

from __future__ import annotations

import copy
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.envnames import source_env_prefix
from ..core.redact import MASK, SECRET_WORDS, is_secret_key, mask_secrets  # noqa: F401 - re-exported
from ..core.settings import check, closest, typed_from_text, unescape
from ..errors import ConfigError, NotFoundError, UsageError
from . import config_schema as schema

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

DEFAULTS: dict[str, Any] = schema.defaults()
_TEXT_KEYS = frozenset(k for k, s in schema.KEYS.items() if s.kind == "text")


def _stop(text: str) -> str:
    """The full stop after a reason, unless it ends with a question already (`did you mean red?`)."""
    return "" if text.endswith("?") else "."


def _resolve_env(value: Any, missing: list[str] | None = None) -> Any:
    """``value`` with ``${VAR}`` replaced from the environment; unset names go to ``missing``."""
    if isinstance(value, str):
        def sub(m: re.Match[str]) -> str:
            if m.group(1) not in os.environ and missing is not None:
                missing.append(m.group(1))
            return os.environ.get(m.group(1), "")

        return _ENV_REF.sub(sub, value)
    if isinstance(value, list):
        return [_resolve_env(v, missing) for v in value]
    if isinstance(value, dict):
        return {k: _resolve_env(v, missing) for k, v in value.items()}
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


def _walk(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
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
        if key in _TEXT_KEYS and isinstance(node, str):
            node = unescape(node)  # a \\n typed in a single-quoted string is a new line too
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
        missing: list[str] = []
        table = dict(sources[name])
        settings: dict[str, Any] = _resolve_env(table, missing)
        if missing:
            key = next(k for k, v in table.items() if f"${{{missing[0]}}}" in str(v))
            dotted = f"sources.{name}.{key}"
            raise ConfigError(f"{self._where(dotted)}: `{dotted}` reads ${{{missing[0]}}}, which is not set "
                              "in the environment.", hint=f"export {missing[0]}=... first.")
        prefix = source_env_prefix(name)
        for env_key, env_value in os.environ.items():
            if env_key.startswith(prefix) and env_value:
                key = env_key[len(prefix):].lower()
                setting = schema.setting_for(f"sources.{name}.{key}", self.data)
                value = typed_from_text(setting, env_value) if setting else env_value
                why = check(setting, value) if setting else None
                if why:
                    raise ConfigError(f"${env_key}: `sources.{name}.{key}` {why}{_stop(why)}")
                settings[key] = value
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
        masked: dict[str, Any] = mask_secrets(_resolve_env(merged) if resolve else merged)
        return masked

    def _where(self, key: str) -> str:
        line = self.line_of(key) if self.text else None
        return f"{self.path}, line {line}" if line else str(self.path)

    def validate(self) -> None:
        """Check every key's name, type and range; a ConfigError names the file, line and key."""
        for dotted, why, hint in schema.problems(self.data):
            raise ConfigError(f"{self._where(dotted)}: `{dotted}` {why}{_stop(why)}", hint=hint)


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


def parse_cli_value(raw: str, key: str | None = None, data: Mapping[str, Any] | None = None) -> Any:
    """Turn a `config set` value into the key's type: ``"9090"`` -> 9090 for a port, text for text.

    Secrets and unknown source settings that look like numbers (account ids, app keys:
    ``123456``) stay the string that was typed; ``\\n`` in a text template becomes a new line.
    """
    if key is None:
        return typed_from_text(None, raw)
    setting = schema.setting_for(key, data)
    looks_like_id = key.startswith("sources.") and re.fullmatch(r"[+-]?\d+", raw.strip())
    if setting is None and (is_secret_key(key) or looks_like_id):
        return raw
    return typed_from_text(setting, raw)


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


def check_key(config: Config, key: str, *, exists: bool = False) -> None:
    """A UsageError naming the closest valid key when ``key`` is not one config.toml can hold."""
    if not key or any(not part for part in key.split(".")):
        raise UsageError(f"`{key}` is not a valid dotted key (e.g. brand.name).")
    if schema.setting_for(key, config.data) is not None or schema.is_open(key, config.data):
        return
    near = schema.nearest(key, config.data)
    raise UsageError(f"`{key}` is not a config key.",
                     hint=f"Did you mean `{near}`?" if near else "`sharekit config show` lists the keys.")


def set_value(config: Config, key: str, value: Any) -> Config:
    """Set dotted ``key`` to ``value`` in the file; unknown keys and wrong types are refused."""
    check_key(config, key)
    data = copy.deepcopy(config.data)
    node = data
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise UsageError(f"`{key}`: `{part}` is a value, not a table.")
        node = child
    current = node.get(parts[-1], _lookup(DEFAULTS, parts))
    if isinstance(current, Mapping) and not isinstance(value, Mapping):
        raise UsageError(f"`{key}` is a table; set one of its keys (e.g. `{key}.NAME`).")
    node[parts[-1]] = value
    for dotted, why, hint in schema.problems(data):
        if dotted == key or dotted.startswith(key + "."):
            raise UsageError(f"{config.path}: `{dotted}` {why}{_stop(why)}", hint=hint)
    write_config(config.path, data)
    return load_config(config.path)


def unset_value(config: Config, key: str) -> Config:
    """Remove ``key`` from the file (its default applies again); empty tables go too."""
    parts = key.split(".")
    data = copy.deepcopy(config.data)
    trail = [data]
    for part in parts[:-1]:
        child = trail[-1].get(part)
        if not isinstance(child, dict):
            break
        trail.append(child)
    if len(trail) != len(parts) or parts[-1] not in trail[-1]:
        check_key(config, key)
        set_keys = [dotted for dotted, _ in _walk(config.data)]
        near = closest(key, set_keys)
        raise NotFoundError(f"`{key}` is not set in {config.path}.",
                            hint=f"Did you mean `{near}`?" if near else None)
    del trail[-1][parts[-1]]
    for depth in range(len(trail) - 1, 0, -1):
        if not trail[depth]:
            del trail[depth - 1][parts[depth - 1]]
    write_config(config.path, data)
    return load_config(config.path)


STARTER_CONFIG: dict[str, Any] = {
    "timezone": "Asia/Shanghai",
    "currency": "CNY",
    "brand": {"name": "My Shop", "color": "#E4393C", "slogan": "好物分享"},
    "server": {"base_url": "", "host": "127.0.0.1", "port": 8080},
}
