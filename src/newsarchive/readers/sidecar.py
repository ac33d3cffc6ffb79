"""Reader for sidecar metadata files: CSV, JSON or TOML keyed by input file name.

A sidecar is untrusted input like any scraped file: every shape it can take is checked
here, once, before any article is converted, and a bad one is one line naming the file,
the row and the cause (exit 2), never a traceback half-way through a batch.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tomllib
from pathlib import Path
from typing import Any

from newsarchive.errors import InputError, UsageError
from newsarchive.fsio import read_regular
from newsarchive.normalize.sidecar import LIST_FIELDS, TEXT_FIELDS

MAX_BYTES = 64 * 1024 * 1024  # a sidecar for a million articles fits; /dev/zero does not
KEY_FIELDS = ("file", "path", "filename")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def _check_date(value: str) -> str | None:
    """Why ``value`` is not a W3C date (YYYY, YYYY-MM or a real YYYY-MM-DD), or None."""
    m = _DATE.fullmatch(value.strip())
    if not m:
        return "is not a date (YYYY-MM-DD, YYYY-MM or YYYY)"
    year, month, day = m.groups()
    try:
        dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        return f"is not a real date ({exc})"
    return None


def _value(raw: Any, where: str) -> str | None:
    """A field value as text: strings and numbers as written, a list of names joined."""
    if raw is None:
        return None
    if isinstance(raw, dict):  # TOML [a.txt] is table "a" holding table "txt"
        raise ValueError(f"{where}: a nested table is not a metadata value (in TOML, quote "
                         'a file name holding a dot: ["a.txt"])')
    if isinstance(raw, bool):
        raise ValueError(f"{where}: a bool is not a metadata value")
    if isinstance(raw, list):
        if not all(isinstance(v, str) for v in raw):
            raise ValueError(f"{where}: a list may hold only names (strings)")
        return ";".join(raw)
    if isinstance(raw, (int, float, dt.date, dt.datetime)):
        return str(raw)
    if isinstance(raw, str):
        return raw
    raise ValueError(f"{where}: a {type(raw).__name__} is not a metadata value")


def _fields(name: str, row: Any, where: str) -> dict[str, str]:
    if not isinstance(row, dict):
        raise ValueError(f"{where}: expected a table of fields, found a {type(row).__name__}")
    fields: dict[str, str] = {}
    for key, raw in row.items():
        if key is None:  # csv.DictReader's bin for cells beyond the header
            raise ValueError(f"{where}: more cells than the header has columns")
        key = str(key).strip()
        if key in KEY_FIELDS:
            continue
        value = _value(raw, f"{where}, {key}")
        if key not in TEXT_FIELDS and key not in LIST_FIELDS:
            fields[key] = value or ""  # config names it in a warning and drops it
            continue
        if value is None or not value.strip():
            continue
        if any("\ud800" <= ch <= "\udfff" for ch in value):  # JSON "\ud800": not writable
            raise ValueError(f"{where}, {key}: a lone surrogate (\\ud800…) is not a character")
        if key == "date" and (why := _check_date(value)):
            raise ValueError(f"{where}: date {value!r} {why}")
        fields[key] = value
    return fields


def _table(text: str, suffix: str) -> list[tuple[str, Any, str]]:
    """(input file name, its fields, where it is in the sidecar) for every entry."""
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if reader.fieldnames is None:
            return []
        if "file" not in reader.fieldnames:
            raise ValueError("CSV metadata needs a 'file' column")
        return [(row.get("file") or "", row, f"row {reader.line_num}") for row in reader]
    if suffix == ".json":
        data = json.loads(text)
    elif suffix == ".toml":
        data = tomllib.loads(text)
    else:
        raise UsageError("metadata file must be .csv, .json or .toml")
    if isinstance(data, list):
        entries = []
        for i, item in enumerate(data, start=1):
            if not isinstance(item, dict) or not isinstance(item.get("file"), str):
                raise ValueError(f"entry {i}: expected an object with a 'file' name")
            entries.append((item["file"], item, f"entry {i}"))
        return entries
    if not isinstance(data, dict):
        raise ValueError(
            f"the top level must be an object keyed by file name, not a {type(data).__name__}"
        )
    return [(str(name), fields, f"entry {name!r}") for name, fields in data.items()]


def read_sidecar(path: Path) -> dict[str, dict[str, str]]:
    """Return {input file name: {field: value}}.

    CSV: a header row with a ``file`` column. JSON: an object keyed by file name (or a list
    of objects with ``file``). TOML: one table per file name.
    """
    try:
        data = read_regular(path, MAX_BYTES)
    except InputError as exc:
        raise UsageError(f"metadata file: {exc.cause}", str(path)) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"metadata file is not UTF-8 (byte {exc.start}: {exc.reason}); save it as UTF-8",
            str(path),
        ) from exc
    table: dict[str, dict[str, str]] = {}
    try:
        for name, row, where in _table(text, path.suffix.lower()):
            if not name.strip():
                raise ValueError(f"{where}: no file name")
            table[name] = _fields(name, row, where)
    except (ValueError, KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"malformed metadata file: {exc}", str(path)) from exc
    return table
