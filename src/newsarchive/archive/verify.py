"""Full fixity check of a storage root: every file against its inventory's SHA-512.

Reports, never repairs. Our own per-file pass names each damaged, missing or unexpected
file; ocfl-py's validator then covers the structural rules (inventory syntax, version
sequence, root = head inventory…) and the storage-root hierarchy.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from newsarchive.archive.store import (
    INVENTORY,
    OBJECT_DECLARATION,
    SIDECAR,
    ArchiveError,
    Root,
    StoredObject,
    load_object,
    sha512_file,
    symlink_in,
)

Reporter = Callable[[Path | str, str], None]


@dataclass(frozen=True)
class Problem:
    path: str
    cause: str
    object_id: str = ""

    def __str__(self) -> str:
        where = f" [{self.object_id}]" if self.object_id else ""
        return f"{self.path}: {self.cause}{where}"


@dataclass
class Report:
    root: str
    objects: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        return {
            "root": self.root,
            "ok": self.ok,
            "objects": self.objects,
            "files": self.files,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "problems": [
                {"path": p.path, "cause": p.cause, "object_id": p.object_id} for p in self.problems
            ],
            "notes": self.notes,
        }


def verify(root_path: Path | str, identifier: str | None = None) -> Report:
    """Check every object (or the one with ``identifier``) under a shared lock."""
    start = time.perf_counter()
    root = Root.open(root_path)
    report = Report(str(root.path))
    with root.locked(exclusive=False):
        if identifier is None:
            _check_hierarchy(root, report)
            seen: dict[str, Path] = {}
            for objdir in root.object_dirs():
                oid = _check_object(root, objdir, report)
                if oid and oid in seen:
                    report.problems.append(
                        Problem(str(objdir), f"duplicate object id (also at {seen[oid]})", oid)
                    )
                seen.setdefault(oid or str(objdir), objdir)
        else:
            objdir = root.object_dir(identifier)
            if not (objdir / OBJECT_DECLARATION).exists():
                raise ArchiveError("no such object in the archive", identifier)
            _check_object(root, objdir, report)
        try:
            leftovers = root.staging_leftovers()
        except ArchiveError as exc:  # a symlinked workspace: damage, reported, not followed
            report.problems.append(Problem(exc.path or str(root.staging), exc.cause))
            leftovers = []
        for txn in leftovers:
            if (target := root.parked(txn)) is not None:
                report.problems.append(
                    Problem(
                        str(target),
                        f"missing: an interrupted deposit left this object in {txn}; "
                        "the next deposit puts it back",
                    )
                )
        if leftovers:
            report.notes.append(
                f"{root.staging}: {len(leftovers)} leftover(s) of interrupted deposits "
                "(outside every object; the next deposit removes them)"
            )
    report.seconds = time.perf_counter() - start
    return report


def _check_hierarchy(root: Root, report: Report) -> None:
    """Storage-root rules: declaration, layout, no stray files or empty folders."""
    from ocfl import StorageRoot

    sr = StorageRoot(root=str(root.path))
    sr.validate(validate_objects=False, check_digests=False, log_warnings=False)
    for message in sr.log.messages if sr.log else []:
        report.problems.append(Problem(str(root.path), f"storage root: {message}"))
    for folder, dirs, files in os.walk(root.path):
        here = Path(folder)
        if here != root.path and (here / OBJECT_DECLARATION).exists():
            dirs[:] = []  # inside an object: _check_object reports
            continue
        for name in [*dirs, *files]:
            if (here / name).is_symlink():
                report.problems.append(
                    Problem(str(here / name), "symlink in the storage root (damage: not followed)")
                )


def _check_object(root: Root, objdir: Path, report: Report) -> str:
    """Fixity and completeness of one object; returns its id ('' if unreadable)."""
    before = len(report.problems)
    report.objects += 1
    try:
        obj = load_object(objdir)
    except ArchiveError as exc:
        report.problems.append(Problem(exc.path or str(objdir), exc.cause))
        return ""
    oid = obj.id

    def problem(path: Path | str, cause: str) -> None:
        report.problems.append(Problem(str(path), cause, oid))

    expected_rel = root.object_relpath(oid) if oid else ""
    if expected_rel and objdir.resolve() != (root.path / expected_rel).resolve():
        problem(objdir, f"object is not where the layout puts its id ({expected_rel})")

    expected: set[str] = {OBJECT_DECLARATION, INVENTORY, SIDECAR}
    _check_sidecar(objdir, "", problem)
    for version, _ in obj.versions():
        expected |= {f"{version}/{INVENTORY}", f"{version}/{SIDECAR}"}
        if (objdir / version / INVENTORY).exists():
            _check_sidecar(objdir, version, problem)
        else:
            problem(objdir / version / INVENTORY, "missing (version inventory)")
    try:
        manifest = obj.inventory["manifest"]
        items = [(d, p) for d, paths in manifest.items() for p in paths]
    except (KeyError, AttributeError, TypeError):
        problem(objdir / INVENTORY, "inventory has no usable manifest")
        items = []
    for digest, rel in items:
        expected.add(rel)
        file = objdir / rel
        report.files += 1
        if symlink_in(objdir, rel) is not None:
            continue  # reported once by the walk below; never followed
        try:
            actual = sha512_file(file)
            report.bytes += file.stat().st_size
        except FileNotFoundError:
            problem(file, "missing (listed in the inventory)")
            continue
        except OSError as exc:
            problem(file, f"unreadable: {exc.strerror or exc}")
            continue
        if actual != digest:
            problem(file, "damaged: SHA-512 differs from the inventory")
    for folder, dirs, files in os.walk(objdir):
        here = Path(folder)
        rel_dir = here.relative_to(objdir)
        for name in [*dirs, *files]:
            if (here / name).is_symlink():  # os.walk lists, never follows, them
                problem(here / name, "symlink inside the object (damage: not followed)")
        files[:] = [f for f in files if not (here / f).is_symlink()]
        if rel_dir == Path("."):
            dirs[:] = [d for d in dirs if d != "extensions"]  # object extensions: allowed
        for name in files:
            rel = (rel_dir / name).as_posix()
            if rel not in expected:
                problem(here / name, "unexpected file (not in the inventory)")
    if len(report.problems) == before:
        _check_structure(obj, report)
    return oid


def _check_sidecar(objdir: Path, version: str, report: Reporter) -> None:
    folder = objdir / version if version else objdir
    inventory, sidecar = folder / INVENTORY, folder / SIDECAR
    try:
        recorded = sidecar.read_text("utf-8").split()[0]
    except FileNotFoundError:
        report(sidecar, "missing (inventory sidecar)")
        return
    except (OSError, IndexError, UnicodeError):
        report(sidecar, "unreadable inventory sidecar")
        return
    try:
        actual = hashlib.sha512(inventory.read_bytes()).hexdigest()
    except OSError:
        return  # a missing inventory is reported by the caller
    if actual != recorded:
        report(inventory, "damaged: SHA-512 differs from its sidecar")


def _check_structure(obj: StoredObject, report: Report) -> None:
    """ocfl-py's rules beyond fixity (digests already checked above)."""
    from ocfl.validator import Validator

    validator = Validator(check_digests=False, log_warnings=False)
    if not validator.validate_object(str(obj.path)):
        for message in sorted(validator.log.messages):
            report.problems.append(Problem(str(obj.path), f"OCFL: {message}", obj.id))
