"""Hostile archives: the archive's own files (inventories, intent files, its workspace) are
untrusted input. Each tampering is refused or reported, and nothing outside the root is
written or deleted (issue #12, issue #14 items 13 and 14)."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from ocfl import StorageRoot
from typer.testing import CliRunner

import newsarchive.archive.deposit as deposit_module
from newsarchive.archive.deposit import deposit_file
from newsarchive.archive.store import INVENTORY, SIDECAR, Root, load_object
from newsarchive.cli import app

ROOT = Path(__file__).resolve().parent.parent
SEED_A = ROOT / "seeds" / "001_7cc6b842f5fc215c.txt"
SEED_B = ROOT / "seeds" / "002_1fe3cad3fdb1668b.txt"
runner = CliRunner()


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder`` (files by content, links by target), to prove that
    nothing outside the root was written or deleted."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            found[rel] = path.read_bytes()
        else:
            found[rel] = "dir"
    return found


@pytest.fixture(scope="module")
def deposited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile") / "root"
    for seed in (SEED_A, SEED_B):
        deposit_file(seed, root)
    return root


@pytest.fixture
def world(deposited: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(a copy of the root, a folder outside it holding a 'victim' an attacker targets)."""
    root = tmp_path / "root"
    shutil.copytree(deposited, root, symlinks=True)
    outside = tmp_path / "outside"
    (outside / "victim" / "keep").mkdir(parents=True)
    (outside / "victim" / "keep" / "precious.txt").write_text("do not touch")
    (outside / "secret.txt").write_text("never exported")
    return root, outside


def objects(root: Path) -> list[Path]:
    return sorted(Root.open(root).object_dirs())


def forge_inventory(objdir: Path, change: object) -> None:
    """Rewrite an object's root inventory (and its sidecar, as a careful forger would)."""
    inventory = json.loads((objdir / INVENTORY).read_bytes())
    change(inventory)  # type: ignore[operator]
    data = json.dumps(inventory, indent=2).encode()
    (objdir / INVENTORY).write_bytes(data)
    (objdir / SIDECAR).write_text(f"{hashlib.sha512(data).hexdigest()} {INVENTORY}\n")


def seed_of(oid: str) -> Path:
    return next(s for s in (SEED_A, SEED_B) if hashlib.sha256(s.read_bytes()).hexdigest() in oid)


def cli(*args: str) -> object:
    return runner.invoke(app, list(args))


# ----------------------------------------------------------------------------- export


@pytest.mark.parametrize("where", ["dotdot", "absolute", "logical-dotdot"])
def test_export_never_follows_paths_out_of_the_object(
    world: tuple[Path, Path], tmp_path: Path, where: str
) -> None:
    root, outside = world
    objdir = objects(root)[0]
    secret = outside / "secret.txt"
    digest = hashlib.sha512(secret.read_bytes()).hexdigest()

    def tamper(inv: dict) -> None:
        state = inv["versions"][inv["head"]]["state"]
        if where == "logical-dotdot":  # the bag path, not the content path, escapes
            first = next(iter(state))
            state[first] = ["../../../escaped.txt"]
            return
        rel = os.path.relpath(secret, objdir) if where == "dotdot" else str(secret)
        inv["manifest"][digest] = [rel]
        state[digest] = ["source/extra.txt"]

    forge_inventory(objdir, tamper)
    before = snapshot(outside)
    bag = tmp_path / "bags" / "transfer"
    oid = load_object(objects(root)[1]).id  # a sound object goes in the same bag
    done = cli(
        "archive",
        "export",
        str(objdir.name).replace("%3a", ":"),
        oid,
        "--bagit",
        str(bag),
        "--root",
        str(root),
    )
    assert done.exit_code == 1, done.output
    assert "malformed inventory" in done.output and "Traceback" not in done.output
    assert not bag.exists() and list((tmp_path / "bags").iterdir()) == []
    assert not (tmp_path / "escaped.txt").exists()
    assert snapshot(outside) == before
    # verify names the object and goes on with the other one.
    check = cli("archive", "verify", "--root", str(root), "--json")
    report = json.loads(check.stdout)
    assert check.exit_code == 1 and report["objects"] == 2
    assert [p["path"] for p in report["problems"]] == [str(objdir / INVENTORY)]


# ----------------------------------------------------------------------------- staging


def test_symlinked_staging_is_refused_and_its_target_untouched(world: tuple[Path, Path]) -> None:
    root, outside = world
    staging = Root(root).staging
    shutil.rmtree(staging, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    staging.symlink_to(outside / "victim", target_is_directory=True)
    before = snapshot(outside)
    done = cli("archive", "deposit", str(SEED_A), "--root", str(root))
    assert done.exit_code == 3
    assert f"{staging}: is a symlink" in done.output and "Traceback" not in done.output
    assert snapshot(outside) == before
    check = cli("archive", "verify", "--root", str(root))
    assert check.exit_code == 1 and f"{staging}: is a symlink" in check.output
    assert snapshot(outside) == before


@pytest.mark.parametrize("aim", ["outside", "other-object"])
def test_forged_intent_moves_nothing(world: tuple[Path, Path], aim: str) -> None:
    """An intent file (normally left by an update killed between its two renames) that
    names a path out of the root, or another object's place, is not acted on."""
    root, outside = world
    first, second = objects(root)
    store = Root.open(root)
    txn = store.new_transaction()
    if aim == "outside":
        target = os.path.relpath(outside / "moved-here", root)
        shutil.copytree(first, txn / "old")
    else:  # a copy of the first object, to be 'restored' over the second's (deleted) place
        target = second.relative_to(root).as_posix()
        shutil.copytree(first, txn / "old")
        shutil.rmtree(second)
    (txn / "intent.json").write_text(json.dumps({"object": target}), "utf-8")
    before = snapshot(outside)
    check = cli("archive", "verify", "--root", str(root))
    assert "an interrupted deposit left this object" not in check.output
    done = cli("archive", "deposit", str(SEED_A), "--root", str(root))
    assert done.exit_code == 0, done.output
    assert "restored" not in done.output
    assert snapshot(outside) == before and not (outside / "moved-here").exists()
    if aim == "other-object":
        assert not second.exists()  # reported missing by verify, never replaced by a forgery
    assert not Root.open(root).staging_leftovers()


# ----------------------------------------------------------------------------- symlinks


def test_content_file_replaced_by_a_symlink_is_damage(
    world: tuple[Path, Path], tmp_path: Path
) -> None:
    root, outside = world
    objdir = objects(root)[0]
    obj = load_object(objdir)
    source = next((objdir / "v1" / "content" / "source").iterdir())
    copy = outside / "same-bytes.txt"
    copy.write_bytes(source.read_bytes())  # the digest still matches: only the link betrays it
    source.unlink()
    source.symlink_to(copy)
    before = snapshot(outside)
    check = cli("archive", "verify", "--root", str(root))
    assert check.exit_code == 1
    assert f"{source}: symlink inside the object (damage: not followed)" in check.output
    # ocfl-py's own validator follows the link and calls the object good: verify must not.
    sr = StorageRoot(root=str(root))
    sr.validate(validate_objects=True, check_digests=True, log_warnings=False)
    assert sr.good_objects == sr.num_objects
    # Export refuses it; a deposit does not build a new version on it.
    bag = tmp_path / "bag"
    done = cli("archive", "export", obj.id, "--bagit", str(bag), "--root", str(root))
    assert done.exit_code == 1 and "symlink" in done.output and not bag.exists()
    side = tmp_path / "side.json"
    seed = seed_of(obj.id)
    side.write_text(json.dumps({seed.name: {"title": "新标题"}}, ensure_ascii=False))
    done = cli("archive", "deposit", str(seed), "--root", str(root), "--metadata", str(side))
    assert done.exit_code == 3 and "symlink" in done.output
    assert load_object(objdir).head == "v1"
    assert snapshot(outside) == before


def test_symlink_in_the_hierarchy_is_reported(world: tuple[Path, Path]) -> None:
    root, outside = world
    link = root / "abc"
    link.symlink_to(outside / "victim", target_is_directory=True)
    check = cli("archive", "verify", "--root", str(root))
    assert check.exit_code == 1 and f"{link}: symlink in the storage root" in check.output


# ----------------------------------------------------------------------------- inventories


@pytest.mark.parametrize(
    "damage",
    [
        lambda inv: inv.update(versions=list(inv["versions"].values())),
        lambda inv: inv["versions"].update(vX=inv["versions"]["v1"]),
        lambda inv: inv.update(head=7),
        lambda inv: inv["versions"]["v1"].update(state=["x"]),
        lambda inv: inv.update(manifest={"d": "v1/content/x"}),
    ],
    ids=["versions-list", "key-vX", "head-number", "state-list", "manifest-string"],
)
def test_malformed_inventory_is_damage_to_that_object_only(
    world: tuple[Path, Path], damage: object
) -> None:
    root, _ = world
    bad, good = objects(root)
    bad_seed, good_id = seed_of(load_object(bad).id), load_object(good).id
    forge_inventory(bad, damage)
    check = cli("archive", "verify", "--root", str(root), "--json")
    assert check.exit_code == 1, check.output
    report = json.loads(check.stdout)
    assert report["objects"] == 2 and report["files"] == 6  # the good object's files
    assert {p["path"] for p in report["problems"]} == {str(bad / INVENTORY)}
    assert "malformed inventory" in report["problems"][0]["cause"]
    listing = cli("archive", "list", "--root", str(root))
    assert listing.exit_code == 1 and "Traceback" not in listing.output
    assert good_id in listing.stdout and f"{bad / INVENTORY}: malformed inventory" in listing.output
    shown = cli("archive", "show", good_id[len("urn:newsarchive:") :][:12], "--root", str(root))
    assert shown.exit_code == 0, shown.output
    # A deposit into the damaged object fails alone; it does not stop the batch.
    done = cli("archive", "deposit", str(SEED_A), str(SEED_B), "--root", str(root))
    assert done.exit_code == 1 and "Traceback" not in done.output
    assert f"{bad / INVENTORY}: malformed inventory" in done.output
    assert f"{seed_of(good_id)}: {good_id}: unchanged at v1" in done.output
    assert bad_seed != seed_of(good_id)


# ----------------------------------------------------------------------------- disk full


def test_disk_full_during_deposit_fails_that_object_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "root"
    real = deposit_module.stage_files
    calls = []

    def full_once(content: Path, files: dict[str, bytes]) -> None:
        calls.append(content)
        if len(calls) == 1:  # the first object's staging write hits a full disk midway
            first = next(iter(files))
            (content / first).parent.mkdir(parents=True, exist_ok=True)
            (content / first).write_bytes(files[first][:10])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(content, files)

    monkeypatch.setattr(deposit_module, "stage_files", full_once)
    done = cli("archive", "deposit", str(SEED_A), str(SEED_B), "--root", str(root))
    assert done.exit_code == 1, done.output
    lines = done.output.splitlines()
    assert any(line.endswith("cannot write: No space left on device") for line in lines)
    assert "Traceback" not in done.output
    assert len(calls) == 2 and len(objects(root)) == 1  # the rest of the batch deposited
    assert not Root.open(root).staging_leftovers()  # the half-written staging is gone
    sr = StorageRoot(root=str(root))
    sr.validate(validate_objects=True, check_digests=True, log_warnings=False)
    assert sr.num_objects == sr.good_objects == 1
