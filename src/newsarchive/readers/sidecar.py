"""Reader for sidecar metadata files: CSV, JSON or TOML keyed by input file name."""

from __future__ import annotations

import csv
import io
import json
import tomllib
from pathlib import Path

from newsarchive.errors import UsageError


def read_sidecar(path: Path) -> dict[str, dict[str, str]]:
    """Return {input file name: {field: value}}.

    CSV: a header row with a ``file`` column. JSON: an object keyed by file name (or a list
    of objects with ``file``). TOML: one table per file name.
    """
    try:
        text = path.read_text("utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read metadata file: {exc.strerror or exc}", str(path)) from exc
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            rows = list(csv.DictReader(io.StringIO(text)))
            if rows and "file" not in rows[0]:
                raise UsageError("CSV metadata needs a 'file' column", str(path))
            table = {row["file"]: row for row in rows}
        elif suffix == ".json":
            data = json.loads(text)
            table = {item["file"]: item for item in data} if isinstance(data, list) else data
        elif suffix == ".toml":
            table = tomllib.loads(text)
        else:
            raise UsageError("metadata file must be .csv, .json or .toml", str(path))
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"malformed metadata file: {exc}", str(path)) from exc
    return {
        str(name): {str(k): str(v) for k, v in fields.items() if v is not None}
        for name, fields in table.items()
    }
