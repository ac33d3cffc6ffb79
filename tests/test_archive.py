"""The OCFL archive: deposit, versions with forward deltas, fixity, crash safety,
concurrency and BagIt export (issue #4).

The seeds are deposited once per module (the PDF writer dominates the cost); tests that
change or damage the archive work on a copy of that root.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import bagit
import pytest
from ocfl import StorageRoot
from typer.testing import CliRunner

from newsarchive.archive.deposit import PAUSE_ENV, deposit_file
from newsarchive.archive.record import PROVENANCE, object_id
from newsarchive.archive.store import Root, load_object
from newsarchive.cli import app
from newsarchive.options import Options
from newsarchive.pipeline import normalize_file

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
SEED_001 = ROOT / "seeds" / "001_7cc6b842f5fc215c.txt"
runner = CliRunner()


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsarchive", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def ocfl_valid(root: Path) -> bool:
    sr = StorageRoot(root=str(root))
    ok = sr.validate(validate_objects=True, check_digests=True, log_warnings=False)
    assert sr.num_objects == sr.good_objects, sr.errors
    return bool(ok)


def heads(root: Path) -> dict[str, str]:
    """object id -> head version of every object under ``root``."""
    return {o.id: o.head for o in map(load_object, Root.open(root).object_dirs())}


def retitle(seed: Path, title: str) -> Options:
    """Options whose sidecar override changes one article's title (so its editions)."""
    return Options(metadata_overrides={seed.name: {"title": title}})


@pytest.fixture(scope="module")
def deposited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("archive") / "root"
    for seed in SEEDS:
        deposit_file(seed, root)
    return root


@pytest.fixture
def root(deposited: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "root"
    shutil.copytree(deposited, copy, symlinks=True)
    return copy


def sidecar(tmp_path: Path, seed: Path, title: str) -> Path:
    path = tmp_path / "override.json"
    path.write_text(json.dumps({seed.name: {"title": title}}, ensure_ascii=False), "utf-8")
    return path


# --------------------------------------------------------------------------- deposit


def test_every_seed_article_is_one_valid_object(deposited: Path) -> None:
    assert ocfl_valid(deposited)
    expected = {object_id(a.metadata) for seed in SEEDS for a in normalize_file(seed)}
    assert set(heads(deposited)) == expected
    assert len(expected) == 6  # seed 003 is a two-story page: two objects
    assert all(v == "v1" for v in heads(deposited).values())
    store = Root.open(deposited)
    for seed in SEEDS:
        for article in normalize_file(seed):
            obj = store.get(object_id(article.metadata))
            state = obj.state()
            assert obj.read(f"source/{seed.name}") == seed.read_bytes()  # byte for byte
            assert sorted(p.split("/")[0] for p in state) == [
                "editions",
                "editions",
                "editions",
                "metadata",
                "metadata",
                "source",
            ]
            assert {Path(p).suffix for p in state if p.startswith("editions/")} == {
                ".xml",
                ".docx",
                ".pdf",
            }


def test_ids_are_stable_and_per_story() -> None:
    articles = normalize_file(ROOT / "seeds" / "003_870fa4bf9c956fbc.txt")
    sha = hashlib.sha256((ROOT / "seeds" / "003_870fa4bf9c956fbc.txt").read_bytes()).hexdigest()
    assert [object_id(a.metadata) for a in articles] == [
        f"urn:newsarchive:{sha}:1",
        f"urn:newsarchive:{sha}:2",
    ]
    single = normalize_file(SEED_001)[0]
    assert (
        object_id(single.metadata)
        == f"urn:newsarchive:{hashlib.sha256(SEED_001.read_bytes()).hexdigest()}"
    )


def test_provenance_record(deposited: Path) -> None:
    store = Root.open(deposited)
    article = normalize_file(SEED_001)[0]
    obj = store.get(object_id(article.metadata))
    record = json.loads(obj.read(PROVENANCE))
    assert record["format"] == "newsarchive-provenance/1"
    assert record["object_id"] == obj.id
    assert record["metadata"]["source_sha256"] == hashlib.sha256(SEED_001.read_bytes()).hexdigest()
    assert len(record["edits"]) == len(article.provenance)
    assert {e["type"] for e in record["events"]} == {
        "normalization",
        "creation",
        "message digest calculation",
    }
    for path, entry in record["files"].items():  # checksums of every other file
        assert path != PROVENANCE
        assert hashlib.sha512(obj.read(path)).hexdigest() == entry["sha512"]
    # Edition time (fixed, reused while unchanged) in the record; deposit time in OCFL.
    assert record["editions_created"].endswith("Z")
    assert obj.inventory["versions"]["v1"]["created"]


def test_redeposit_unchanged_makes_no_new_version(root: Path) -> None:
    before = {p: p.read_bytes() for p in root.rglob("inventory.json")}
    results = [r for seed in SEEDS for r in deposit_file(seed, root)]
    assert [r.status for r in results] == ["unchanged"] * 6
    assert all(r.version == "v1" for r in results)
    assert {p: p.read_bytes() for p in root.rglob("inventory.json")} == before


def test_changed_article_gets_v2_storing_only_changed_files(root: Path, tmp_path: Path) -> None:
    target = object_id(normalize_file(SEED_001)[0].metadata)
    before = heads(root)
    options = retitle(SEED_001, "一个新的标题")
    [result] = deposit_file(SEED_001, root, options)
    assert (result.status, result.version) == ("updated", "v2")
    after = heads(root)
    assert after[target] == "v2"
    assert {k: v for k, v in after.items() if k != target} == {
        k: v for k, v in before.items() if k != target
    }
    obj = Root.open(root).get(target)
    v2_content = obj.path / "v2" / "content"
    stored = {p.relative_to(v2_content).as_posix() for p in v2_content.rglob("*") if p.is_file()}
    # The source did not change: it is referenced from v1, not stored again.
    assert f"source/{SEED_001.name}" not in stored
    assert obj.stored_in(obj.state()[f"source/{SEED_001.name}"]) == "v1"
    assert stored == set(result.changed) and result.stored == len(stored)
    assert "一个新的标题" in obj.read(f"editions/{SEED_001.stem}.tei.xml").decode()
    assert ocfl_valid(root)
    # Depositing the changed article again is recognised too.
    [again] = deposit_file(SEED_001, root, options)
    assert (again.status, again.version) == ("unchanged", "v2")


def test_deposit_through_cli_and_convert_deposit(tmp_path: Path) -> None:
    archive = tmp_path / "arch"
    done = cli("archive", "deposit", str(SEED_001), "--root", str(archive))
    assert done.returncode == 0, done.stderr
    assert "v1 deposited" in done.stderr
    again = cli(
        "convert",
        str(SEED_001),
        "-o",
        str(tmp_path / "out"),
        "--deposit",
        "--root",
        str(archive),
        "-j",
        "1",
    )
    assert again.returncode == 0, again.stderr
    assert "unchanged at v1" in again.stderr
    assert (tmp_path / "out" / f"{SEED_001.stem}.pdf").exists()


# --------------------------------------------------------------------------- verify


def test_verify_clean_root(root: Path) -> None:
    result = runner.invoke(app, ["archive", "verify", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert "6 object(s), 36 files" in result.output and "OK" in result.output


def test_verify_names_damaged_missing_and_unexpected_files(root: Path) -> None:
    objdirs = list(Root.open(root).object_dirs())
    damaged = next((objdirs[0] / "v1" / "content" / "editions").glob("*.pdf"))
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged.write_bytes(bytes(data))
    missing = next((objdirs[1] / "v1" / "content" / "editions").glob("*.docx"))
    missing.unlink()
    stray = objdirs[2] / "v1" / "content" / "stray.txt"
    stray.write_text("not in any inventory")
    result = runner.invoke(app, ["archive", "verify", "--root", str(root)])
    assert result.exit_code == 1
    out = result.output
    assert f"{damaged}: damaged: SHA-512 differs from the inventory" in out
    assert f"{missing}: missing (listed in the inventory)" in out
    assert f"{stray}: unexpected file (not in the inventory)" in out
    assert "3 problem(s)" in out and "Traceback" not in out
    report = json.loads(
        runner.invoke(app, ["archive", "verify", "--root", str(root), "--json"]).stdout
    )
    assert not report["ok"] and len(report["problems"]) == 3
    # One object only: the damaged one fails, another passes.
    obj_id = load_object(objdirs[3]).id
    assert runner.invoke(app, ["archive", "verify", obj_id, "--root", str(root)]).exit_code == 0


def test_deposit_refuses_to_build_on_a_damaged_object(root: Path, tmp_path: Path) -> None:
    obj = Root.open(root).get(object_id(normalize_file(SEED_001)[0].metadata))
    pdf = next((obj.path / "v1" / "content" / "editions").glob("*.pdf"))
    pdf.write_bytes(pdf.read_bytes()[:-10])
    done = cli(
        "archive",
        "deposit",
        str(SEED_001),
        "--root",
        str(root),
        "--metadata",
        str(sidecar(tmp_path, SEED_001, "改")),
    )
    assert done.returncode == 3
    assert "object is damaged, not updated" in done.stderr
    first = done.stderr.splitlines()[0]  # the error, then the summary line
    assert first.startswith(f"{obj.path}: object is damaged") and "Traceback" not in done.stderr
    assert Root.open(root).get(obj.id).head == "v1"  # reported, never repaired


# --------------------------------------------------------------------------- safety


def _kill_when_staged(args: list[str]) -> None:
    """Run a deposit that pauses once staged, and SIGKILL it right there."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", *args],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, PAUSE_ENV: "60"},
    )
    assert proc.stderr is not None
    try:
        for line in proc.stderr:
            if "staged, pausing" in line:
                break
        else:
            pytest.fail("the deposit ended without reaching the pause")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()


def test_killed_update_leaves_object_at_previous_version(root: Path, tmp_path: Path) -> None:
    target = object_id(normalize_file(SEED_001)[0].metadata)
    side = sidecar(tmp_path, SEED_001, "被中断的更新")
    _kill_when_staged(
        ["archive", "deposit", str(SEED_001), "--root", str(root), "--metadata", str(side)]
    )
    assert Root.open(root).staging_leftovers()  # the staged version never got published
    assert ocfl_valid(root)
    assert heads(root)[target] == "v1"
    check = cli("archive", "verify", "--root", str(root))
    assert check.returncode == 0, check.stderr
    # The next deposit sweeps the leftovers and completes.
    [result] = deposit_file(SEED_001, root, retitle(SEED_001, "被中断的更新"))
    assert result.version == "v2" and not Root.open(root).staging_leftovers()
    assert ocfl_valid(root)


def test_killed_new_deposit_leaves_no_trace_in_the_hierarchy(tmp_path: Path) -> None:
    archive = tmp_path / "arch"
    _kill_when_staged(["archive", "deposit", str(SEED_001), "--root", str(archive)])
    assert ocfl_valid(archive)
    assert heads(archive) == {}
    assert cli("archive", "verify", "--root", str(archive)).returncode == 0


def test_kill_at_random_moments_keeps_root_valid(root: Path, tmp_path: Path) -> None:
    """No hook: kill a multi-file deposit of changed content after a few delays."""
    side = tmp_path / "all.json"
    side.write_text(json.dumps({s.name: {"licence": "CC BY 4.0"} for s in SEEDS}), "utf-8")
    for delay in (1.2, 2.0, 2.8):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "newsarchive",
                "archive",
                "deposit",
                *map(str, SEEDS),
                "--root",
                str(root),
                "--metadata",
                str(side),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert ocfl_valid(root)
        assert set(heads(root).values()) <= {"v1", "v2"}
    assert cli("archive", "verify", "--root", str(root)).returncode == 0


def test_concurrent_deposits_into_one_new_root(tmp_path: Path) -> None:
    archive = tmp_path / "shared"
    groups = [[SEEDS[0], SEEDS[1]], [SEEDS[2], SEEDS[4]]]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "newsarchive",
                "archive",
                "deposit",
                *map(str, group),
                "--root",
                str(archive),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for group in groups
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert ocfl_valid(archive)
    expected = {object_id(a.metadata) for g in groups for s in g for a in normalize_file(s)}
    assert heads(archive) == dict.fromkeys(expected, "v1")


def test_deposit_never_takes_over_a_foreign_folder(tmp_path: Path) -> None:
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.docx").write_bytes(b"mine")
    done = cli("archive", "deposit", str(SEED_001), "--root", str(foreign))
    assert done.returncode == 3
    assert done.stderr.startswith(f"{foreign}: not an OCFL storage root and not empty")
    assert sorted(p.name for p in foreign.iterdir()) == ["thesis.docx"]


def test_errors_are_one_line(tmp_path: Path) -> None:
    for args in (
        ["archive", "list", "--root", str(tmp_path / "none")],
        ["archive", "show", "urn:newsarchive:nope", "--root", str(tmp_path / "none")],
        ["archive", "deposit", str(tmp_path / "missing.txt"), "--root", str(tmp_path / "a")],
    ):
        done = cli(*args)
        assert done.returncode != 0
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr
        assert ": " in done.stderr


# --------------------------------------------------------------------------- reading


def test_list_and_show(root: Path, tmp_path: Path) -> None:
    deposit_file(SEED_001, root, retitle(SEED_001, "第二版"))
    listing = runner.invoke(app, ["archive", "list", "--root", str(root), "--json"])
    assert listing.exit_code == 0
    rows = {r["id"]: r for r in json.loads(listing.stdout)}
    target = object_id(normalize_file(SEED_001)[0].metadata)
    assert rows[target]["versions"] == 2 and rows[target]["title"] == "第二版"
    assert rows[target]["newspaper"] == "重庆日报" and rows[target]["date"] == "2022-10-20"
    # Not a terminal: one tab-separated line per object, whole ids, after a header.
    piped = runner.invoke(app, ["archive", "list", "--root", str(root)], terminal_width=40)
    lines = piped.stdout.splitlines()
    assert lines[0].split("\t") == ["id", "title", "newspaper", "date", "versions", "last deposit"]
    assert len(lines) == 7 and all(len(line.split("\t")) == 6 for line in lines)
    assert f"{target}\t第二版\t重庆日报\t2022-10-20\t2\t" in piped.stdout
    shown = runner.invoke(app, ["archive", "show", target, "--root", str(root), "--json"])
    info = json.loads(shown.stdout)
    # The same object by a unique hash prefix, or by the scraped file's name.
    for handle in (target.removeprefix("urn:newsarchive:")[:10], SEED_001.name):
        again = runner.invoke(app, ["archive", "show", handle, "--root", str(root), "--json"])
        assert again.exit_code == 0, again.output
        assert json.loads(again.stdout)["id"] == target
    vague = runner.invoke(app, ["archive", "show", "", "--root", str(root)])
    assert vague.exit_code == 1 and "Traceback" not in vague.output
    assert [v["version"] for v in info["versions_detail"]] == ["v1", "v2"]
    assert info["versions_detail"][1]["added"] == []
    assert f"source/{SEED_001.name}" not in info["versions_detail"][1]["changed"]
    assert {f["path"]: f["stored_in"] for f in info["files"]}[f"source/{SEED_001.name}"] == "v1"
    human = runner.invoke(app, ["archive", "show", target, "--root", str(root)], terminal_width=200)
    assert human.exit_code == 0 and "v2" in human.stdout


# --------------------------------------------------------------------------- BagIt


def test_export_bagit_validates(root: Path, tmp_path: Path) -> None:
    ids = sorted(heads(root))[:2]
    bag_dir = tmp_path / "bags" / "transfer"
    result = runner.invoke(
        app,
        [
            "archive",
            "export",
            *ids,
            "--bagit",
            str(bag_dir),
            "--root",
            str(root),
            "--organization",
            "Test Library",
        ],
    )
    assert result.exit_code == 0, result.output
    bag = bagit.Bag(str(bag_dir))
    bag.validate()  # raises BagValidationError on any problem
    assert bag.info["Source-Organization"] == "Test Library"
    assert sorted(bag.info["External-Identifier"]) == ids
    assert bag.info["Bagging-Date"] and bag.info["Payload-Oxum"]
    assert set(bag.algorithms) >= {"sha512"}
    assert [p.name for p in bag_dir.parent.iterdir()] == ["transfer"]  # no staging left
    # A bag is never written over; the root is untouched by an export.
    again = runner.invoke(
        app, ["archive", "export", ids[0], "--bagit", str(bag_dir), "--root", str(root)]
    )
    assert again.exit_code == 1 and "already exists" in again.output
    assert ocfl_valid(root)


def test_export_refuses_damaged_content(root: Path, tmp_path: Path) -> None:
    target = object_id(normalize_file(SEED_001)[0].metadata)
    obj = Root.open(root).get(target)
    source = obj.path / "v1" / "content" / "source" / SEED_001.name
    source.write_bytes(source.read_bytes() + b"x")
    result = runner.invoke(
        app, ["archive", "export", target, "--bagit", str(tmp_path / "bag"), "--root", str(root)]
    )
    assert result.exit_code == 1 and "damaged" in result.output
    assert list(tmp_path.glob("*bag*")) == []


def test_update_without_atomic_swap(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where renameat2(RENAME_EXCHANGE) is missing (NFS, non-Linux) two renames are used."""
    import newsarchive.archive.store as store

    monkeypatch.setattr(store, "_exchange", lambda a, b: False)
    [result] = deposit_file(SEED_001, root, retitle(SEED_001, "两次改名"))
    assert result.version == "v2"
    assert ocfl_valid(root) and not Root.open(root).staging_leftovers()


def test_object_parked_by_an_interrupted_swap_is_reported_then_restored(root: Path) -> None:
    """A kill between the two renames leaves the object in staging with an intent file:
    verify reports it missing; the next deposit puts it back and says so."""
    archive = Root.open(root)
    target = archive.get(object_id(normalize_file(SEED_001)[0].metadata))
    txn = archive.new_transaction()
    rel = target.path.relative_to(root).as_posix()
    (txn / "intent.json").write_text(json.dumps({"object": rel}), "utf-8")
    os.rename(target.path, txn / "old")
    check = cli("archive", "verify", "--root", str(root))
    assert check.returncode == 1
    assert f"{target.path}: missing: an interrupted deposit left this object" in check.stderr
    done = cli("archive", "deposit", str(SEEDS[0]), "--root", str(root))
    assert done.returncode == 0
    assert f"{target.path}: restored to its previous version" in done.stderr
    assert heads(root)[target.id] == "v1" and ocfl_valid(root)
    assert cli("archive", "verify", "--root", str(root)).returncode == 0


def test_corrected_tei_becomes_the_next_version(root: Path, tmp_path: Path) -> None:
    """An archivist's corrected TEI edition: v2 keeps the original scrape, stores the TEI
    under corrections/ and renders the editions from it."""
    target = object_id(normalize_file(SEED_001)[0].metadata)
    obj = Root.open(root).get(target)
    tei = obj.read(f"editions/{SEED_001.stem}.tei.xml").decode()
    title = json.loads(obj.read(PROVENANCE))["metadata"]["title"]
    corrected = tmp_path / f"{SEED_001.stem}.tei.xml"
    corrected.write_text(tei.replace(title, "人工校对的标题"), "utf-8")
    [result] = deposit_file(corrected, root)
    assert (result.object_id, result.version) == (target, "v2")
    obj = Root.open(root).get(target)
    state = obj.state()
    assert obj.read(f"source/{SEED_001.name}") == SEED_001.read_bytes()
    assert obj.stored_in(state[f"source/{SEED_001.name}"]) == "v1"
    assert obj.read(f"corrections/{corrected.name}") == corrected.read_bytes()
    assert "人工校对的标题" in obj.read(f"editions/{SEED_001.stem}.tei.xml").decode()
    record = json.loads(obj.read(PROVENANCE))
    assert "modification" in {e["type"] for e in record["events"]}
    assert ocfl_valid(root)
    # A TEI whose source is neither where it records nor in the archive: one line naming it.
    done = cli("archive", "deposit", str(corrected), "--root", str(tmp_path / "empty"))
    assert done.returncode == 3 and len(done.stderr.splitlines()) == 1
    assert f"{corrected}: its scraped source " in done.stderr
    assert "not in the archive; give it with --source" in done.stderr
