"""``newsarchive.toml``: site defaults (publisher, licence, archive root, font, script, jobs…).

Looked up as ``--config PATH``, else ``./newsarchive.toml``, else
``$XDG_CONFIG_HOME/newsarchive/newsarchive.toml`` (``~/.config`` when unset). The first one
found is used whole; files are not merged, so what applies is always one file you can read.
Command-line options override it. Example::

    publisher = "Example Library, digital edition"
    authority = "Example Library, Digital Collections"   # TEI publicationStmt/authority
    licence = "CC BY-NC 4.0"
    script = "hans"            # hans | hant | hant-tw | hant-hk | keep
    punctuation = "fix"        # fix | keep
    font = "/usr/share/fonts/truetype/arphic/uming.ttc:0"
    pdfa = "2a"                # 2a (default) | 1b | 2b | 2u | 3a | 3b | 3u
    to = "tei,docx,pdf"
    jobs = 8
    metadata = "sidecar.csv"   # relative paths are relative to this file

    [archive]
    root = "/srv/ocfl"

Other tables (``[review]``…) belong to other commands and are ignored here.

:func:`resolve` is the one place where a command's settings are decided, for every
subcommand alike: the flag if given, else this file, else the built-in default.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsarchive.errors import UsageError
from newsarchive.options import DEFAULT_PDFA, PDFA_LEVELS, SCRIPTS, Options

FILE_NAME = "newsarchive.toml"
FORMATS = ("tei", "docx", "pdf")
PUNCTUATIONS = ("fix", "keep")
DEFAULT_ARCHIVE_ROOT = Path("archive")

_STRINGS = ("publisher", "authority", "licence", "script", "punctuation", "font", "pdfa", "to")
_PATHS = ("font", "metadata", "archive_root")
_ALIASES = {"license": "licence", "formats": "to", "fonts": "font"}
_TOP_LEVEL = (*_STRINGS, "jobs", "metadata", "archive_root")
# table -> {key in it: the setting it sets}; any other table or key is an unknown setting.
_TABLES = {"archive": {"root": "archive_root"}}
_TABLE_KEYS = tuple(f"{t}.{k}" for t, keys in _TABLES.items() for k in keys)


def _unknown(path: Path, table: str, key: str, known: tuple[str, ...]) -> str:
    """``FILE: unknown setting 'archive.rot' (did you mean 'archive.root'?)``."""
    import difflib

    prefix = f"{table}." if table else ""
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f" (did you mean {prefix + close[0]!r}?)" if close else ""
    return f"{path}: unknown setting {prefix + key!r}{hint}"


@dataclass(frozen=True)
class Config:
    """Values read from one config file; ``None`` means "not set there"."""

    path: Path | None = None
    publisher: str | None = None
    authority: str | None = None
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
    shown: dict[str, str] = {}  # setting -> how the file spells it, for messages
    for key, value in raw.items():
        if isinstance(value, dict) and key in _TABLES:
            for inner, item in value.items():
                setting = _TABLES[key].get(inner)
                if setting is None:  # a typo inside a table ([archive] rot = …)
                    raise UsageError(_unknown(path, key, inner, tuple(_TABLES[key])))
                flat[setting], shown[setting] = item, f"{key}.{inner}"
            continue
        name = _ALIASES.get(key, key).replace("-", "_")
        if name in _TOP_LEVEL:  # a table here fails the type check below
            flat[name] = value
        else:
            # A typo (licnece, [archiv]) silently ignored would be worse than a refusal.
            known = tuple(_TABLES) if isinstance(value, dict) else (*_TOP_LEVEL, *_TABLE_KEYS)
            raise UsageError(_unknown(path, "", key, known))
    values: dict[str, Any] = {"path": path}
    for key, value in flat.items():
        if key == "jobs":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise UsageError(f"{path}: jobs must be a whole number >= 1, not {value!r}")
        elif key == "to" and isinstance(value, list):
            value = ",".join(str(v) for v in value)
        elif not isinstance(value, str):
            raise UsageError(f"{path}: {shown.get(key, key)} must be a string, not {value!r}")
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
    if config.authority is not None and options.authority is None:
        changes["authority"] = config.authority
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


@dataclass(frozen=True)
class Settings:
    """What a command runs with, resolved once from its flags, the config file and the
    defaults (in that order of precedence)."""

    options: Options
    formats: tuple[str, ...] = FORMATS
    jobs: int | None = None  # None: chosen by the work (see batch.executors.pick_jobs)
    archive_root: Path = DEFAULT_ARCHIVE_ROOT
    config: Config = Config()
    notes: tuple[str, ...] = ()  # warnings for stderr (a sidecar column nobody reads…)
    metadata: Path | None = None  # the sidecar file the overrides came from


def _choice(flag: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        *rest, last = allowed
        raise UsageError(f"{flag} must be {', '.join(rest)} or {last}, not {value!r}")
    return value


def parse_formats(text: str) -> tuple[str, ...]:
    formats = tuple(f.strip() for f in text.split(",") if f.strip())
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UsageError(
            f"--to: unknown format {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(FORMATS)}"
        )
    return formats


def resolve(
    *,
    config: Path | None = None,
    script: str | None = None,
    punctuation: str | None = None,
    metadata: Path | None = None,
    font: str | None = None,
    pdfa: str | None = None,
    to: str | None = None,
    jobs: int | None = None,
    root: Path | None = None,
    max_size: float | None = None,
) -> Settings:
    """The settings of one command: each flag (``None`` = not given) beats
    ``newsarchive.toml``, which beats the built-in default. Bad values are usage errors."""
    cfg = load_config(config)
    formats = parse_formats(pick(to, cfg.to, ",".join(FORMATS)))
    metadata_path = pick(metadata, cfg.metadata, None)
    overrides: dict[str, dict[str, str]] = {}
    notes: list[str] = []
    if metadata_path is not None:
        from newsarchive.readers.sidecar import read_sidecar

        overrides = _known_columns(metadata_path, read_sidecar(metadata_path), notes)
    if font is not None:
        _check_font(font, "--font")
    elif cfg.font is not None:
        _check_font(cfg.font, f"{cfg.path}: font")
    font = pick(font, cfg.font, None)
    changes: dict[str, Any] = {}
    if max_size is not None:
        if not math.isfinite(max_size) or max_size <= 0:  # nan, inf: no guard at all
            raise UsageError("--max-size must be a positive, finite number of MB")
        changes["max_bytes"] = int(max_size * 1024 * 1024)
    options = Options(
        script=_choice("--script", pick(script, cfg.script, "hans"), SCRIPTS),  # type: ignore[arg-type]
        punctuation=_choice(  # type: ignore[arg-type]
            "--punctuation", pick(punctuation, cfg.punctuation, "fix"), PUNCTUATIONS
        ),
        font=font,
        pdfa=_choice("--pdfa", pick(pdfa, cfg.pdfa, DEFAULT_PDFA), PDFA_LEVELS),  # type: ignore[arg-type]
        metadata_overrides=overrides,
        **changes,
    )
    return Settings(
        options=apply_config(options, cfg),
        formats=formats,
        jobs=pick(jobs, cfg.jobs, None),
        archive_root=pick(root, cfg.archive_root, DEFAULT_ARCHIVE_ROOT),
        config=cfg,
        notes=tuple(notes),
        metadata=metadata_path,
    )


# The first bytes of the font files reportlab/fontTools read: TrueType, OpenType, collection.
_FONT_MAGIC = (b"\x00\x01\x00\x00", b"true", b"OTTO", b"ttcf")


def _check_font(spec: str, flag: str) -> None:
    """A font that cannot be a font is a usage error (exit 2), found before any input is
    converted, not one failure per input."""
    path, sep, index = spec.rpartition(":")
    if not (sep and index.isdigit()):
        path = spec
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise UsageError(f"{flag}: cannot read font {path}: {exc.strerror or exc}") from exc
    if magic not in _FONT_MAGIC:
        raise UsageError(f"{flag}: {path} is not a TrueType/OpenType font")


def _known_columns(
    path: Path, table: dict[str, dict[str, str]], notes: list[str]
) -> dict[str, dict[str, str]]:
    """Drop the sidecar fields no step reads, each named once with the closest real one:
    a misspelt ``titel`` column must not pass in silence."""
    import difflib

    from newsarchive.normalize.sidecar import LIST_FIELDS, TEXT_FIELDS

    known = (*TEXT_FIELDS, *LIST_FIELDS)
    ignored = ("file", "path", "filename")
    unknown = sorted(
        {k for row in table.values() for k in row if k not in known and k not in ignored}
    )
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        notes.append(f"{path}: unknown column {name!r}{hint}, ignored")
    if not unknown:
        return table
    return {f: {k: v for k, v in row.items() if k not in unknown} for f, row in table.items()}
