"""Walking inputs, converting each one, and reporting: what ``convert`` does over many files."""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from newsarchive.errors import InputError, NewsarchiveError
from newsarchive.fsio import atomic_write_bytes
from newsarchive.options import Options
from newsarchive.pipeline import normalize_bytes, normalize_file, render_all

# Editor back-ups and temporary files a scrape folder collects; never articles.
_SKIP_SUFFIXES = ("~", ".swp", ".swo", ".bak", ".tmp", ".part", ".orig", ".DS_Store")
STDIN = "-"


@dataclass(frozen=True)
class Input:
    path: str  # a file path, or "-" for stdin
    relative_dir: Path = Path()  # where under -o its outputs go (mirrors the input tree)


@dataclass
class Result:
    input: str
    outputs: list[str] = field(default_factory=list)
    articles: int = 0
    error: str | None = None
    flagged: int = 0  # doubtful edits an archivist should look at


def _skippable(name: str) -> str | None:
    if name.startswith("."):
        return "hidden file"
    if name.endswith(_SKIP_SUFFIXES) or (name.startswith("#") and name.endswith("#")):
        return "editor back-up or temporary file"
    return None


def collect_inputs(paths: list[str], recursive: bool) -> tuple[list[Input], list[str]]:
    """Expand files, directories (with ``recursive``) and globs; return (inputs, notes)."""
    inputs: list[Input] = []
    notes: list[str] = []
    for raw in paths:
        if raw == STDIN:
            inputs.append(Input(STDIN))
            continue
        path = Path(raw)
        if not path.exists() and not path.is_symlink() and glob.has_magic(raw):
            matches = sorted(glob.glob(raw, recursive=True))
            if not matches:
                notes.append(f"{raw}: no file matches this pattern")
            inputs.extend(Input(m) for m in matches if Path(m).is_file())
            continue
        if path.is_dir():
            if not recursive:
                notes.append(f"{raw}: is a directory (use -r to convert a folder)")
                continue
            inputs.extend(_walk(path, notes))
            continue
        inputs.append(Input(raw))
    return inputs, notes


def _walk(root: Path, notes: list[str]) -> Iterator[Input]:
    def on_error(exc: OSError) -> None:
        notes.append(f"{exc.filename}: skipped, cannot read folder ({exc.strerror})")

    # followlinks=False: a symlink loop cannot make the walk endless.
    for folder, dirs, files in os.walk(root, onerror=on_error, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            full = Path(folder) / name
            if reason := _skippable(name):
                notes.append(f"{full}: skipped ({reason})")
                continue
            if full.is_symlink() and not full.exists():
                notes.append(f"{full}: skipped (broken symbolic link)")
                continue
            yield Input(str(full), Path(folder).relative_to(root))


def convert_one(item: Input, out_dir: Path, formats: list[str], options: Options) -> Result:
    """Convert one input; every edition is rendered before any is written."""
    result = Result(item.path)
    try:
        if item.path == STDIN:
            articles = normalize_bytes(sys.stdin.buffer.read(), "stdin.txt", options)
        else:
            articles = normalize_file(Path(item.path), options)
        outputs = render_all(articles, formats, options)
        target = out_dir / item.relative_dir
        for name, data in outputs.items():
            atomic_write_bytes(target / name, data)
            result.outputs.append(str(target / name))
        result.articles = len(articles)
        result.flagged = sum(1 for a in articles for e in a.provenance if e.doubtful)
    except NewsarchiveError as exc:
        exc.path = exc.path or item.path
        result.error = str(exc)
    except (UnicodeError, ValueError, OSError) as exc:  # a last guard: never a traceback
        result.error = str(InputError(f"{type(exc).__name__}: {exc}", item.path))
    return result
