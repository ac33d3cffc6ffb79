"""``newsarchive.toml``: site defaults (publisher, licence, archive root, font, script, jobs…).

Looked up as ``--config PATH``, else ``./newsarchive.toml``, else
``$XDG_CONFIG_HOME/newsarchive/newsarchive.toml`` (``~/.config`` when unset). The first one
found is used whole; files are not merged, so what applies is always one file you can read.
Command-line options override it. Example::

    publisher = "Example Library, digital edition"
    licence = "CC BY-NC 4.0"
    script = "hans"            # hans | hant | keep
    punctuation = "fix"        # fix | keep
    font = "/usr/share/fonts/truetype/arphic/uming.ttc:0"
    pdfa = "1b"                # 1b | 2b | 3b
    to = "tei,docx,pdf"
    jobs = 8
    metadata = "sidecar.csv"   # relative paths are relative to this file

    [archive]
    root = "/srv/ocfl"

Other tables (``[review]``…) belong to other commands and are ignored here.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsarchive.errors import UsageError
from newsarchive.options import Options

FILE_NAME = "newsarchive.toml"

_STRINGS = ("publisher", "licence", "script", "punctuation", "font", "pdfa", "to")
_PATHS = ("font", "metadata", "archive_root")
_ALIASES = {"license": "licence", "formats": "to", "fonts": "font"}


@dataclass(frozen=True)
class Config:
    """Values read from one config file; ``None`` means "not set there"."""

    path: Path | None = None
    publisher: str | None = None
    licence: str | None = None
    script: str | None = None
    punctuation: str | None = None
    font: str | None = None
    pdfa: str | None = None
    to: str | None = None
    jobs: int | None = None
    metadata: Path | None = None
    archive_root: Path | None = None


def config_candidates(cwd: Path | None = None) -> list[Path]:
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return [(cwd or Path.cwd()) / FILE_NAME, Path(xdg) / "newsarchive" / FILE_NAME]


def find_config(explicit: Path | None = None) -> Path | None:
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"--config: no such file: {explicit}")
        return explicit
    return next((p for p in config_candidates() if p.is_file()), None)


def load_config(explicit: Path | None = None) -> Config:
    """The config that applies (an empty one when there is no file)."""
    path = find_config(explicit)
    return Config() if path is None else parse_config(path)


def parse_config(path: Path) -> Config:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError) as exc:
        raise UsageError(f"{path}: cannot read config: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from exc
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            if key == "archive" and "root" in value:
                flat["archive_root"] = value["root"]
            continue  # tables of other commands
        key = _ALIASES.get(key, key).replace("-", "_")
        if key == "archive_root" or key == "jobs" or key == "metadata" or key in _STRINGS:
            flat[key] = value
        else:
            # A typo (licnece) silently ignored would be worse than a refusal.
            raise UsageError(f"{path}: unknown setting {key!r}")
    values: dict[str, Any] = {"path": path}
    for key, value in flat.items():
        if key == "jobs":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise UsageError(f"{path}: jobs must be a whole number >= 1, not {value!r}")
        elif key == "to" and isinstance(value, list):
            value = ",".join(str(v) for v in value)
        elif not isinstance(value, str):
            raise UsageError(f"{path}: {key} must be a string, not {value!r}")
        if key in _PATHS:
            value = _relative_to(path, value) if key != "font" else _font_relative(path, value)
        values[key] = value
    return Config(**values)


def _relative_to(config: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else config.parent / p


def _font_relative(config: Path, value: str) -> str:
    path, sep, index = value.rpartition(":")
    if not (sep and index.isdigit()):
        path, index = value, ""
    resolved = str(_relative_to(config, path))
    return f"{resolved}:{index}" if index else resolved


def apply_config(options: Options, config: Config) -> Options:
    """Fill the fields of ``options`` that only the config file sets (publisher, licence,
    archive root); script/punctuation/font/pdfa go through the command line's own defaults."""
    changes: dict[str, Any] = {}
    if config.publisher is not None and options.publisher is None:
        changes["publisher"] = config.publisher
    if config.licence is not None and options.licence is None:
        changes["licence"] = config.licence
    if config.archive_root is not None and options.archive_root is None:
        changes["archive_root"] = str(config.archive_root)
    return dataclasses.replace(options, **changes) if changes else options


def pick(cli: Any, config: Any, default: Any) -> Any:
    """Command line beats config file beats built-in default."""
    if cli is not None:
        return cli
    return default if config is None else config
