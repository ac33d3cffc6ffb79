"""Which files a batch converts: files, folders, globs, stdin and web-archive records;
shards. (Whose editions are whose: :mod:`newsarchive.batch.naming`.)"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from newsarchive.errors import NewsarchiveError, UsageError
from newsarchive.readers.kinds import HTML_SUFFIXES
from newsarchive.readers.warc import WARC_SUFFIXES, is_warc_name, list_records, warc_stem

# Editor back-ups and temporary files a scrape folder collects; never articles.
_SKIP_SUFFIXES = ("~", ".swp", ".swo", ".bak", ".tmp", ".part", ".orig", ".DS_Store")
STDIN = "-"
STDIN_NAME = "stdin.txt"


@dataclass(frozen=True)
class Input:
    path: str  # a file path, or "-" for stdin
    relative_dir: Path = Path()  # where under -o its outputs go (mirrors the input tree)
    record: int | None = None  # a web archive's HTML response: its byte offset in ``path``
    index: int = 0  # … and its position among the archive's HTML responses (1-based)

    @property
    def name(self) -> str:
        if self.record is not None:
            return f"{warc_stem(self.path)}-{self.index:04d}.html"
        return STDIN_NAME if self.path == STDIN else Path(self.path).name

    @property
    def key(self) -> str:
        """Identity of the input in the state manifest: where its outputs go under -o."""
        return (self.relative_dir / self.name).as_posix()


def _skippable(name: str) -> str | None:
    if name.startswith("."):
        return "hidden file"
    if name.endswith(_SKIP_SUFFIXES) or (name.startswith("#") and name.endswith("#")):
        return "editor back-up or temporary file"
    return None


def _glob_base(pattern: str) -> Path:
    """The leading part of a glob without wildcards: ``corpus/**/*.txt`` -> ``corpus``."""
    parts: list[str] = []
    for part in Path(pattern).parts:
        if glob.has_magic(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path()


def collect_inputs(
    paths: list[str], recursive: bool = True, exclude: Path | None = None, records: bool = False
) -> tuple[list[Input], list[str]]:
    """Expand files, folders and globs; return (inputs, notes). A folder is walked (as ruff,
    black and pytest walk one) unless ``recursive`` is False.

    Folders and globs mirror their tree (below the folder, or below the glob's fixed
    prefix); ``exclude`` (the output folder) is never walked, so a re-run does not take
    yesterday's TEI editions for inputs.
    """
    inputs: list[Input] = []
    notes: list[str] = []
    skip = exclude.resolve() if exclude is not None else None
    for raw in paths:
        if raw == STDIN:
            inputs.append(Input(STDIN))
            continue
        path = Path(raw)
        if not path.exists() and not path.is_symlink() and glob.has_magic(raw):
            matches = sorted(glob.glob(raw, recursive=True))
            if not matches:
                notes.append(f"{raw}: no file matches this pattern")
            base = _glob_base(raw)
            for m in matches:
                if Path(m).is_file() and not _inside(Path(m), skip):
                    inputs.append(Input(m, _relative_parent(Path(m), base)))
            continue
        if path.is_dir():
            if not recursive:
                notes.append(f"{raw}: is a folder, skipped (give -r to walk it)")
                continue
            inputs.extend(_walk(path, notes, skip))
            continue
        inputs.append(Input(raw))
    # The same file named twice (a folder and a glob over it) is converted once.
    seen: set[tuple[str, Path]] = set()
    unique: list[Input] = []
    for item in inputs:
        ident = (
            item.path if item.path == STDIN else os.path.realpath(item.path),
            item.relative_dir,
        )
        if ident in seen:
            notes.append(f"{item.path}: given twice, converted once")
            continue
        seen.add(ident)
        unique.append(item)
    if records:  # each HTML response of a web archive is an input of its own
        unique = [r for item in unique for r in _records(item, notes)]
    return unique, notes


def _records(item: Input, notes: list[str]) -> list[Input]:
    if item.path == STDIN or not is_warc_name(item.path):
        return [item]
    try:
        found = list_records(Path(item.path))
    except NewsarchiveError:
        return [item]  # converting it reports the cause, as for any bad input
    if not found:
        notes.append(f"{item.path}: skipped (a web archive without HTML responses)")
    below = item.relative_dir / warc_stem(item.path)
    return [Input(item.path, below, r.offset, r.index) for r in found]


# What -r picks in a folder; anything else is skipped with a note.
INPUT_SUFFIXES = (".txt", ".text", ".tei.xml", ".xml", ".tei", *HTML_SUFFIXES, *WARC_SUFFIXES)


def _relative_parent(path: Path, base: Path) -> Path:
    try:
        return path.parent.relative_to(base)
    except ValueError:
        return Path()


def _inside(path: Path, folder: Path | None) -> bool:
    if folder is None:
        return False
    return path.resolve().is_relative_to(folder)


def _walk(root: Path, notes: list[str], exclude: Path | None = None) -> Iterator[Input]:
    def on_error(exc: OSError) -> None:
        notes.append(f"{exc.filename}: skipped, cannot read folder ({exc.strerror})")

    # Symbolic links to folders are not followed, and say so: a link inside the tree would
    # convert its files twice (under both names), one to elsewhere would reach outside the
    # folder given, and a loop would never end. A link given on the command line is walked.
    for folder, dirs, files in os.walk(root, onerror=on_error, followlinks=False):
        walked = []
        for d in sorted(dirs):
            full = Path(folder) / d
            if d.startswith(".") or _inside(full, exclude):
                continue
            if full.is_symlink():
                notes.append(
                    f"{full}: skipped (a symbolic link to a folder is not followed; "
                    "give the folder itself to convert it)"
                )
                continue
            walked.append(d)
        dirs[:] = walked
        for name in sorted(files):
            full = Path(folder) / name
            if reason := _skippable(name):
                notes.append(f"{full}: skipped ({reason})")
                continue
            if not name.lower().endswith(INPUT_SUFFIXES):
                kind = Path(name).suffix or "no suffix"
                notes.append(f"{full}: skipped (not an input type: {kind})")
                continue
            if full.is_symlink() and not full.exists():
                notes.append(f"{full}: skipped (broken symbolic link)")
                continue
            yield Input(str(full), Path(folder).relative_to(root))


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` (1-based) -> (i, n)."""
    index, sep, count = text.partition("/")
    if not (sep and index.strip().isdigit() and count.strip().isdigit()):
        raise UsageError(f"--shard must look like i/n (e.g. 3/10), not {text!r}")
    i, n = int(index), int(count)
    if not 1 <= i <= n:
        raise UsageError(f"--shard {text}: need 1 <= i <= n")
    return i, n


def shard_inputs(inputs: list[Input], shard: tuple[int, int] | None) -> list[Input]:
    """Every n-th input of the list sorted by path, so that the n array jobs of a Slurm
    job agree on a partition without talking to each other."""
    ordered = sorted(inputs, key=lambda item: (item.path, item.relative_dir.as_posix()))
    if shard is None:
        return ordered
    i, n = shard
    if any(item.path == STDIN for item in ordered):
        raise UsageError("--shard cannot be used with - (stdin)")
    return ordered[i - 1 :: n]


def refuse_input_as_output(flag: str, target: Path | str, inputs: list[Input]) -> None:
    """A report, review page or edition written over one of the inputs would replace the
    scraped file itself: a usage error (exit 2), found before anything is written."""
    try:
        where = os.path.realpath(target)
    except (OSError, ValueError):
        return
    for item in inputs:
        if item.path != STDIN and os.path.realpath(item.path) == where:
            raise UsageError(f"{flag} {target} is one of the inputs: it would be replaced")
