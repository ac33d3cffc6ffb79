"""Batch conversion: tree mirroring, parallel == serial, failures and exit codes, the JSON
summary, incremental re-runs, shards, resume, and the dask executor."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newsarchive.batch import (
    STATE_NAME,
    BatchSettings,
    Input,
    Result,
    Task,
    collect_inputs,
    run_batch,
    shard_inputs,
)
from newsarchive.batch.executors import pick_jobs
from newsarchive.cli import main
from newsarchive.options import Options

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.txt"))
BINARY = bytes(range(256)) * 8  # no text encoding makes this an article


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A newsarchive.toml of the person running the tests must not change them."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def cli(
    args: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stdin: bytes | None = None,
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["newsarchive", *args])
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    with pytest.raises(SystemExit) as exit_info:
        main()
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0 if code is None else 1), out, err


def corpus(root: Path, count: int = 5) -> Path:
    """Seeds copied into a small tree: root/a/…, root/b/c/…."""
    for i, seed in enumerate(SEED_FILES[:count]):
        folder = root / ("a" if i % 2 else "b/c")
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(seed, folder / seed.name)
    return root


def report(path: Path) -> dict[str, dict[str, object]]:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    return {Path(str(r["input"])).name: r for r in records}


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def test_recursive_mirrors_the_input_tree(tmp_path, capsys, monkeypatch):
    src = corpus(tmp_path / "in")
    (src / ".hidden.txt").write_text("x")
    (src / "a" / "draft.txt~").write_text("x")
    code, _, err = cli(
        ["convert", "-r", str(src), "-o", "out", "--to", "tei", "-j", "1"], capsys, monkeypatch
    )
    assert code == 0, err
    made = sorted(tree(tmp_path / "out"))
    assert "a/001_7cc6b842f5fc215c.tei.xml" in made
    assert "b/c/000_8a8d1d953e3f51ef.tei.xml" in made
    assert "a/003_870fa4bf9c956fbc-2.tei.xml" in made  # a page of two stories
    assert not any("hidden" in m or "draft" in m for m in made)


def test_glob_mirrors_below_its_fixed_prefix(tmp_path):
    src = corpus(tmp_path / "in")
    inputs, _ = collect_inputs([f"{src}/**/*.txt"], recursive=False)
    assert {i.relative_dir.as_posix() for i in inputs} == {"a", "b/c"}


def test_output_folder_inside_the_input_tree_is_not_an_input(tmp_path):
    src = corpus(tmp_path / "in", 1)
    (src / "out").mkdir()
    (src / "out" / "old.tei.xml").write_text("<TEI/>")
    inputs, _ = collect_inputs([str(src)], recursive=True, exclude=src / "out")
    assert [Path(i.path).name for i in inputs] == [SEED_FILES[0].name]


def test_two_jobs_make_the_same_editions_as_one(tmp_path, capsys, monkeypatch):
    src = corpus(tmp_path / "in")
    for jobs, out in (("1", "one"), ("2", "two")):
        code, _, err = cli(
            ["convert", "-r", str(src), "-o", out, "--to", "tei,docx", "-j", jobs],
            capsys,
            monkeypatch,
        )
        assert code == 0, err
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert len(one) == 12  # 6 articles x 2 formats
    assert one == two


def test_a_bad_file_fails_alone(tmp_path, capsys, monkeypatch):
    src = corpus(tmp_path / "in", 2)
    (src / "a" / "broken.txt").write_bytes(BINARY)
    code, out, err = cli(
        ["convert", "-r", str(src), "-o", "out", "--to", "tei", "-j", "2", "--report", "r.jsonl"],
        capsys,
        monkeypatch,
    )
    assert code == 1
    assert out == ""
    rep = report(tmp_path / "r.jsonl")
    assert rep["broken.txt"]["status"] == "failed"
    assert "broken.txt" in str(rep["broken.txt"]["error"])
    assert rep["broken.txt"]["outputs"] == []
    ok = [r for name, r in rep.items() if name != "broken.txt"]
    assert len(ok) == 2 and all(r["status"] == "converted" and r["sha256"] for r in ok)
    assert all(Path(o).is_file() for r in ok for o in r["outputs"])  # type: ignore[union-attr]
    assert "1 failed" in err and "broken.txt" in err.split("failed:")[-1]


def test_all_bad_exits_3(tmp_path, capsys, monkeypatch):
    for name in ("x.txt", "y.txt"):
        (tmp_path / name).write_bytes(BINARY)
    code, _, _ = cli(["convert", "x.txt", "y.txt", "-o", "out", "-j", "1"], capsys, monkeypatch)
    assert code == 3


def test_fail_fast_stops_submitting(tmp_path, capsys, monkeypatch):
    (tmp_path / "00.txt").write_bytes(BINARY)
    for seed in SEED_FILES:
        shutil.copy(seed, tmp_path / seed.name)
    code, out, _ = cli(
        ["convert", "*.txt", "-o", "out", "--to", "tei", "-j", "1", "--fail-fast", "--json"],
        capsys,
        monkeypatch,
    )
    data = json.loads(out)
    assert code == 1
    assert data["failed"] == 1 and data["converted"] == 0 and data["not_run"] == 5
    assert data["stopped_early"] is True


@pytest.mark.parametrize(
    "args",
    [
        ["convert", "x.txt", "-j", "0"],
        ["convert", "x.txt", "--shard", "3/2"],
        ["convert", "x.txt", "--shard", "two"],
        ["convert", "x.txt", "--to", "odt"],
        ["convert", "x.txt", "--scheduler", "tcp://127.0.0.1:1"],
        ["convert", "x.txt", "--executor", "spark"],
        ["convert", "missing/*.txt"],
        ["convert", "x.txt", "--config", "nope.toml"],
    ],
)
def test_usage_errors_exit_2(tmp_path, capsys, monkeypatch, args):
    (tmp_path / "x.txt").write_text("标题\n\n正文。\n", encoding="utf-8")
    code, out, err = cli(args, capsys, monkeypatch)
    assert code == 2, err
    assert out == ""


def test_help_documents_exit_codes(capsys, monkeypatch):
    code, out, _ = cli(["convert", "--help"], capsys, monkeypatch)
    assert code == 0
    assert "Exit codes" in out and "3 every input failed" in " ".join(out.split())


def test_json_stdout_is_pure_json(tmp_path, capsys, monkeypatch):
    corpus(tmp_path / "in", 2)
    code, out, err = cli(
        ["convert", "-r", "in", "-o", "out", "--to", "tei", "-j", "1", "--json"],
        capsys,
        monkeypatch,
    )
    assert code == 0
    data = json.loads(out)  # the whole of stdout
    assert data["converted"] == 2 and data["failed"] == 0 and data["articles"] == 2
    assert data["exit_code"] == 0
    assert "converted 2" in err  # the human summary went to stderr


def test_stdin(tmp_path, capsys, monkeypatch):
    code, _, err = cli(
        ["convert", "-", "-o", "out", "--to", "tei"],
        capsys,
        monkeypatch,
        stdin=SEED_FILES[2].read_bytes(),
    )
    assert code == 0, err
    assert (tmp_path / "out" / "stdin.tei.xml").is_file()


def test_rerun_skips_unchanged_force_redoes(tmp_path, capsys, monkeypatch):
    corpus(tmp_path / "in", 3)
    base = ["convert", "-r", "in", "-o", "out", "--to", "tei", "-j", "1", "--report", "r.jsonl"]
    assert cli(base, capsys, monkeypatch)[0] == 0
    first = report(tmp_path / "r.jsonl")
    assert {r["status"] for r in first.values()} == {"converted"}

    assert cli(base, capsys, monkeypatch)[0] == 0
    second = report(tmp_path / "r.jsonl")
    assert {r["status"] for r in second.values()} == {"skipped"}
    assert all(second[n]["sha256"] == first[n]["sha256"] for n in first)
    assert all(second[n]["outputs"] == first[n]["outputs"] for n in first)

    assert cli([*base, "--force"], capsys, monkeypatch)[0] == 0
    assert {r["status"] for r in report(tmp_path / "r.jsonl").values()} == {"converted"}
    # --force appended a second record per input; closing the run compacted them.
    lines = (tmp_path / "out" / STATE_NAME).read_text().splitlines()
    assert len(lines) == 3


def test_changed_option_content_or_missing_output_redoes(tmp_path, capsys, monkeypatch):
    src = corpus(tmp_path / "in", 3)
    base = ["convert", "-r", "in", "-o", "out", "--to", "tei", "-j", "1", "--report", "r.jsonl"]
    assert cli(base, capsys, monkeypatch)[0] == 0

    assert cli([*base, "--punctuation", "keep"], capsys, monkeypatch)[0] == 0
    assert {r["status"] for r in report(tmp_path / "r.jsonl").values()} == {"converted"}

    changed = next(src.rglob("000_*.txt"))
    changed.write_bytes(changed.read_bytes() + "\n补记一段。\n".encode())
    gone = next((tmp_path / "out").rglob("001_*.tei.xml"))
    gone.unlink()
    assert cli([*base, "--punctuation", "keep"], capsys, monkeypatch)[0] == 0
    statuses = {n[:3]: r["status"] for n, r in report(tmp_path / "r.jsonl").items()}
    assert statuses == {"000": "converted", "001": "converted", "002": "skipped"}
    assert gone.is_file()


def test_shards_cover_every_input_once(tmp_path, capsys, monkeypatch):
    corpus(tmp_path / "in")
    seen: list[str] = []
    for shard in ("1/2", "2/2"):
        code, _, _ = cli(
            [
                "convert",
                "-r",
                "in",
                "-o",
                "out",
                "--to",
                "tei",
                "-j",
                "1",
                "--shard",
                shard,
                "--report",
                f"r{shard[0]}.jsonl",
            ],
            capsys,
            monkeypatch,
        )
        assert code == 0
        seen += list(report(tmp_path / f"r{shard[0]}.jsonl"))
    assert sorted(seen) == sorted(p.name for p in SEED_FILES)
    # Each shard keeps its own state file; a later unsharded run reads them all.
    assert len(list((tmp_path / "out").glob(".newsarchive-state.shard-*.jsonl"))) == 2
    code, out, _ = cli(
        ["convert", "-r", "in", "-o", "out", "--to", "tei", "-j", "1", "--json"],
        capsys,
        monkeypatch,
    )
    assert json.loads(out)["skipped"] == 5


def test_shard_partition_is_stable():
    inputs = [Input(f"f{i:03}.txt") for i in range(10)]
    parts = [shard_inputs(list(reversed(inputs)), (i, 3)) for i in (1, 2, 3)]
    assert sorted(i.path for p in parts for i in p) == [i.path for i in inputs]
    assert [i.path for i in parts[0]] == ["f000.txt", "f003.txt", "f006.txt", "f009.txt"]


def test_outputs_that_would_collide_fail_the_second_input(tmp_path, capsys, monkeypatch):
    for folder in ("x", "y"):
        (tmp_path / folder).mkdir()
        shutil.copy(SEED_FILES[2], tmp_path / folder / "same.txt")
    code, _, err = cli(
        ["convert", "x/same.txt", "y/same.txt", "-o", "out", "--to", "tei"], capsys, monkeypatch
    )
    assert code == 1
    assert "overwrite" in err


def test_resume_after_interruption(tmp_path, capsys, monkeypatch):
    src = corpus(tmp_path / "in")
    inputs, _ = collect_inputs([str(src)], recursive=True)
    settings = BatchSettings(out_dir=tmp_path / "out", formats=("tei",), options=Options())
    done: list[Result] = []

    def interrupt_after_two(result: Result) -> None:
        done.append(result)
        if len(done) == 2:
            raise KeyboardInterrupt  # as Ctrl-C would, between two inputs

    summary = run_batch(shard_inputs(inputs, None), settings, interrupt_after_two)
    assert summary.interrupted and summary.exit_code() == 130
    assert summary.done == 2
    # A crash in the middle of appending leaves a torn line; it must not break the resume.
    with (tmp_path / "out" / STATE_NAME).open("a") as handle:
        handle.write('{"key": "b/c/00')
    code, _, err = cli(
        ["convert", "-r", "in", "-o", "out", "--to", "tei", "-j", "1", "--report", "r.jsonl"],
        capsys,
        monkeypatch,
    )
    assert code == 0, err
    statuses = sorted(r["status"] for r in report(tmp_path / "r.jsonl").values())
    assert statuses == ["converted"] * 3 + ["skipped"] * 2
    assert {Path(r.input).name for r in done} == {
        n for n, r in report(tmp_path / "r.jsonl").items() if r["status"] == "skipped"
    }


def test_dask_local_cluster_matches_local_run(tmp_path, capsys, monkeypatch):
    distributed = pytest.importorskip("distributed")
    src = corpus(tmp_path / "in", 3)
    code, _, err = cli(
        ["convert", "-r", str(src), "-o", "local", "--to", "tei", "-j", "1"], capsys, monkeypatch
    )
    assert code == 0, err
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
    ):
        code, out, err = cli(
            [
                "convert",
                "-r",
                str(src),
                "-o",
                "dask",
                "--to",
                "tei",
                "--executor",
                "dask",
                "--scheduler",
                cluster.scheduler_address,
                "--json",
            ],
            capsys,
            monkeypatch,
        )
    assert code == 0, err
    assert json.loads(out)["converted"] == 3
    local, remote = tree(tmp_path / "local"), tree(tmp_path / "dask")
    assert len(local) == 3
    assert local == remote


def _tasks(files: list[Path], formats: tuple[str, ...]) -> list[Task]:
    return [Task(Input(str(f)), "out", formats, Options(), "fp") for f in files]


def test_workers_are_picked_by_the_work(tmp_path):
    seeds = _tasks(SEED_FILES, ("tei", "docx", "pdf"))
    # The five seeds are less work than two worker start-ups: in-process, whatever the CPUs.
    assert pick_jobs(seeds, None, cpus=8) == 1
    # Fifty times as much work uses every CPU there is, never more workers than inputs.
    big = tmp_path / "big.txt"
    big.write_bytes(b"".join(f.read_bytes() for f in SEED_FILES) * 10)
    many = _tasks([big] * 10, ("tei", "docx", "pdf"))
    assert pick_jobs(many, None, cpus=2) == 2
    assert pick_jobs(many, None, cpus=64) == 10
    assert pick_jobs(many[:3], 8, cpus=2) == 3  # -j N: as asked, at most one per input
    assert pick_jobs([], None) == 1


def test_a_rerun_of_unchanged_inputs_starts_no_worker_and_warms_nothing(
    tmp_path, monkeypatch
):
    src = corpus(tmp_path / "in")
    inputs, _ = collect_inputs([str(src)])
    settings = BatchSettings(tmp_path / "out", ("tei",), Options(), jobs=None)
    first = run_batch(inputs, settings)
    assert first.converted == len(inputs)

    def no_work(*args, **kwargs):
        raise AssertionError("nothing to convert, yet a worker or warm-up was started")

    monkeypatch.setattr("newsarchive.batch.run.run_local", no_work)
    monkeypatch.setattr("newsarchive.batch.task.warm_up", no_work)
    again = run_batch(inputs, settings)
    assert (again.skipped, again.converted, again.failed) == (len(inputs), 0, 0)


# --------------------------------------------------------------------------- whose editions


def _page(stories: int) -> bytes:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bad.scenarios import epaper

    return epaper(stories)


def test_naming_is_decided_by_the_whole_input_list_in_any_order():
    from itertools import permutations

    from newsarchive.batch.naming import NamePlan

    names = ["x.txt", "x-1.txt", "x-2.txt", "x-01.txt", "y.txt", "y.xml"]
    items = [Input(f"in/{n}") for n in names] + [Input("in/sub/x-1.txt", Path("sub"))]
    plans = [NamePlan(list(order), Path("out")) for order in permutations(items)]
    for plan in plans:
        reserved = {i.path: plan.reserved(i) for i in items}
        assert reserved["in/x.txt"] == {"x-1": "in/x-1.txt", "x-2": "in/x-2.txt"}
        # x-01 is no story number; sub/x-1 is another folder; x-1.txt's own stem is its own.
        assert all(reserved[i.path] == {} for i in items if i.path != "in/x.txt")
        assert {i.path: o for i, o in plan.collisions.items()} == {"in/y.xml": "in/y.txt"}
    # A shard plans against the whole list, so every shard reaches the same answer.
    shard = shard_inputs(items, (2, 3))
    plan = NamePlan(items, Path("out"))
    assert all(plan.reserved(i) == plans[0].reserved(i) for i in shard)


def test_pages_and_their_namesakes_with_two_workers_in_any_order(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        (src / f"p{i}.txt").write_bytes(_page(2))  # makes p{i}-1, p{i}-2
        shutil.copy(SEED_FILES[i], src / f"p{i}-2.txt")
    inputs, _ = collect_inputs([str(src)])
    for n, order in enumerate((inputs, list(reversed(inputs)))):
        out = tmp_path / f"out{n}"
        settings = BatchSettings(out, ("tei",), Options(), jobs=2)
        results: list[Result] = []
        summary = run_batch(order, settings, results.append)
        assert (summary.converted, summary.failed) == (3, 3)
        failed = sorted(Path(r.input).name for r in results if r.status == "failed")
        assert failed == ["p0.txt", "p1.txt", "p2.txt"]
        assert all("overwrite" in (r.error or "") and "-2.txt" in (r.error or "")
                   for r in results if r.status == "failed")
        assert sorted(p.name for p in out.iterdir() if p.name[0] != ".") == [
            f"p{i}-2.tei.xml" for i in range(3)]
        for i in range(3):
            digest = hashlib.sha256(SEED_FILES[i].read_bytes()).hexdigest()
            assert digest in (out / f"p{i}-2.tei.xml").read_text("utf-8")


def test_a_moved_input_folder_keeps_its_editions(tmp_path, capsys, monkeypatch):
    corpus(tmp_path / "in", 3)
    base = ["convert", "-r", "-o", "out", "--to", "tei", "-j", "1", "--report", "r.jsonl"]
    assert cli([*base, "in"], capsys, monkeypatch)[0] == 0
    (tmp_path / "in").rename(tmp_path / "moved")
    assert cli([*base, "moved"], capsys, monkeypatch)[0] == 0
    assert {r["status"] for r in report(tmp_path / "r.jsonl").values()} == {"skipped"}
    # The records follow the files: a later change at the new place converts as usual…
    records = [json.loads(line) for line in (tmp_path / "out" / STATE_NAME).read_text().splitlines()]
    assert len(records) == 3 and all("/moved/" in r["source"] for r in records)
    changed = next((tmp_path / "moved").rglob("000_*.txt"))
    changed.write_bytes(changed.read_bytes() + "\n补记一段。\n".encode())
    assert cli([*base, "moved"], capsys, monkeypatch)[0] == 0
    statuses = sorted(r["status"] for r in report(tmp_path / "r.jsonl").values())
    assert statuses == ["converted", "skipped", "skipped"]
    # … and another file at the old place is a stranger now.
    stranger = tmp_path / "in" / changed.relative_to(tmp_path / "moved")
    stranger.parent.mkdir(parents=True)
    shutil.copy(SEED_FILES[4], stranger)
    code, _, err = cli([*base, "in"], capsys, monkeypatch)
    assert code == 3
    assert f"would overwrite the editions of {changed.resolve()}" in err


def test_force_takes_over_the_other_files_editions(tmp_path, capsys, monkeypatch):
    for folder in ("d1", "d2"):
        (tmp_path / folder).mkdir()
    (tmp_path / "d1" / "a.txt").write_bytes(_page(2))
    shutil.copy(SEED_FILES[0], tmp_path / "d2" / "a.txt")
    base = ["convert", "-o", "out", "--to", "tei"]
    assert cli([*base, "d1/a.txt"], capsys, monkeypatch)[0] == 0
    before = tree(tmp_path / "out")
    assert sorted(before) == ["a-1.tei.xml", "a-2.tei.xml"]
    code, _, err = cli([*base, "d2/a.txt"], capsys, monkeypatch)
    assert code == 3 and "--force" in err
    assert tree(tmp_path / "out") == before
    code, _, err = cli([*base, "d2/a.txt", "--force"], capsys, monkeypatch)
    assert code == 0, err
    assert f"d2/a.txt: took over the editions of {(tmp_path / 'd1' / 'a.txt').resolve()}" in err
    # The record is d2's now: d1's editions under names d2 does not make went with it.
    assert sorted(tree(tmp_path / "out")) == ["a.tei.xml"]
    code, _, err = cli([*base, "d1/a.txt"], capsys, monkeypatch)
    assert code == 3 and "overwrite" in err


def test_records_without_a_source_are_kept_and_completed(tmp_path, capsys, monkeypatch):
    corpus(tmp_path / "in", 2)
    base = ["convert", "-r", "in", "-o", "out", "--to", "tei", "--json"]
    assert cli(base, capsys, monkeypatch)[0] == 0
    state = tmp_path / "out" / STATE_NAME
    old = [json.loads(line) for line in state.read_text().splitlines()]
    state.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "source"}) + "\n"
                             for r in old))  # as a version before ownership wrote them
    code, out, _ = cli(base, capsys, monkeypatch)
    assert code == 0 and json.loads(out)["skipped"] == 2
    assert sorted(json.loads(line)["source"] for line in state.read_text().splitlines()) == sorted(
        r["source"] for r in old)


def test_state_lines_this_program_does_not_write_are_ignored(tmp_path):
    from newsarchive.batch import StateStore

    good = {"key": "a.txt", "sha256": "0" * 64, "fingerprint": "f", "outputs": ["a.tei.xml"]}
    bad = [{**good, "key": "b.txt", "outputs": ["../b.tei.xml"]},
           {**good, "key": "c.txt", "outputs": ["/tmp/c.tei.xml"]},
           {**good, "key": "d.txt", "outputs": "d.tei.xml"},
           {**good, "key": "e.txt", "outputs": [""]},
           {**good, "key": "f.txt", "outputs": [3]},
           {**good, "key": ["g.txt"]},
           {**good, "key": "h.txt", "source": 7},
           {**good, "key": "i.txt", "outputs": ["sub/../../i.tei.xml"]}]
    (tmp_path / STATE_NAME).write_text("".join(json.dumps(r) + "\n" for r in [good, *bad]))
    store = StateStore(tmp_path)
    assert list(store.previous) == ["a.txt"]
    assert store.previous["a.txt"].outputs == ("a.tei.xml",)


def test_another_files_record_whose_editions_are_gone_does_not_block(tmp_path, capsys, monkeypatch):
    for i, folder in enumerate(("d1", "d2")):
        (tmp_path / folder).mkdir()
        shutil.copy(SEED_FILES[i], tmp_path / folder / "a.txt")
    base = ["convert", "-o", "out", "--to", "tei"]
    assert cli([*base, "d1/a.txt"], capsys, monkeypatch)[0] == 0
    (tmp_path / "out" / "a.tei.xml").unlink()  # nothing of d1's left to overwrite
    code, _, err = cli([*base, "d2/a.txt"], capsys, monkeypatch)
    assert code == 0, err
    digest = hashlib.sha256(SEED_FILES[1].read_bytes()).hexdigest()
    assert digest in (tmp_path / "out" / "a.tei.xml").read_text("utf-8")


# --------------------------------------------------------------------------- per-input cost

_GENERATIONS = """
import gc, json, sys
from pathlib import Path
from newsarchive.batch import task
from newsarchive.batch.inputs import collect_inputs
from newsarchive.options import Options

out, formats = sys.argv[1], ("tei", "docx", "pdf")
inputs, _ = collect_inputs(sys.argv[2:])
task.warm_up(Options(), formats)
frozen, sizes, statuses = gc.get_freeze_count(), [], []
for item in inputs:
    statuses.append(task.run_task(task.Task(item, out, formats, Options(), "x")).status)
    task._collect_between_inputs()  # what the next input starts with
    sizes.append(len(gc.get_objects(2)))
print(json.dumps({"sizes": sizes, "statuses": statuses,
                  "frozen": gc.get_freeze_count() - frozen}))
"""


def test_collections_between_inputs_do_not_rescan_what_stays(tmp_path):
    """What the first inputs leave for good (caches filled on first use: fonts, glyph
    pieces, schema and dictionary state) is frozen after the collection between inputs, so
    the oldest generation every later collection scans stays small (without the freeze it
    holds all of that, thousands of objects, for every input). In a fresh process: freezing
    is for the whole interpreter."""
    run = subprocess.run(
        [sys.executable, "-c", _GENERATIONS, str(tmp_path / "out"), *map(str, SEED_FILES)],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(SEEDS.parent / "src")},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    found = json.loads(run.stdout)
    assert set(found["statuses"]) == {"converted"}, found
    assert found["frozen"] > 1_000, found  # the caches filled on first use
    # What stays to be rescanned is a small part of what was frozen (without the freeze,
    # frozen is 0 and the oldest generation holds it all).
    assert max(found["sizes"]) * 10 < found["frozen"], found


# --------------------------------------------------------------------------- one run per state

_HOLD = """
import sys
from pathlib import Path
from newsarchive.batch.state import state_lock

shard = tuple(map(int, sys.argv[2].split("/"))) if len(sys.argv) > 2 else None
with state_lock(Path(sys.argv[1]), shard):
    print("locked", flush=True)
    sys.stdin.read()  # until the test closes it
"""


def _holder(out: Path, *shard: str) -> subprocess.Popen[str]:
    """Another process converting into ``out`` (it holds the state lock, as convert does)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(out), *shard], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(SEEDS.parent / "src")},
    )
    assert proc.stdout is not None and proc.stdout.readline() == "locked\n"
    return proc


def _release(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    assert proc.wait(30) == 0


def test_a_second_convert_into_the_same_folder_is_refused(tmp_path, capsys, monkeypatch):
    src, out = corpus(tmp_path / "in", 2), tmp_path / "out"
    holder = _holder(out)
    try:
        code, _, err = cli(["convert", str(src), "-r", "-o", str(out), "--to", "tei",
                            "--report", str(tmp_path / "r.jsonl")], capsys, monkeypatch)
    finally:
        _release(holder)
    assert code == 2
    assert err.strip() == (f"newsarchive: {out}: another convert (pid {holder.pid}) is "
                           "converting into this folder; wait for it to end or choose another -o")
    assert not (tmp_path / "r.jsonl").exists()  # refused before anything was opened
    assert [p.name for p in out.iterdir()] == []  # the holder took its lock file with it
    code, _, err = cli(["convert", str(src), "-r", "-o", str(out), "--to", "tei"], capsys,
                       monkeypatch)
    assert code == 0, err
    assert sorted(p.name for p in out.rglob("*.tei.xml")) == sorted(
        f.stem + ".tei.xml" for f in SEED_FILES[:2])
    assert not list(out.glob("*.lock"))


def test_shards_lock_their_own_state_and_run_side_by_side(tmp_path, capsys, monkeypatch):
    src, out = corpus(tmp_path / "in", 4), tmp_path / "out"
    holder = _holder(out, "1/2")  # shard 1 of the job is running
    try:
        code, _, err = cli(["convert", str(src), "-r", "-o", str(out), "--to", "tei",
                            "--shard", "2/2"], capsys, monkeypatch)
        assert code == 0, err
        assert (out / ".newsarchive-state.shard-2-of-2.jsonl").is_file()
        code, _, err = cli(["convert", str(src), "-r", "-o", str(out), "--to", "tei",
                            "--shard", "1/2"], capsys, monkeypatch)
        assert code == 2
        assert f"another convert of shard 1/2 (pid {holder.pid})" in err
    finally:
        _release(holder)


def test_the_lock_file_of_a_killed_run_does_not_block(tmp_path, capsys, monkeypatch):
    src, out = corpus(tmp_path / "in", 1), tmp_path / "out"
    out.mkdir()
    dead = subprocess.run(["sh", "-c", "echo $$"], capture_output=True, text=True).stdout
    (out / ".newsarchive-state.lock").write_text(dead)  # its flock went with its process
    code, _, err = cli(["convert", str(src), "-r", "-o", str(out), "--to", "tei"], capsys,
                       monkeypatch)
    assert code == 0, err
    assert not (out / ".newsarchive-state.lock").exists()


def test_every_edition_is_flushed_before_any_is_renamed(tmp_path, monkeypatch):
    """The fsyncs of an input's files are issued side by side, but each file gets its own,
    and a failure of any one (EIO at writeback) leaves neither a file nor a temporary."""
    import errno
    import threading

    from newsarchive import fsio
    from newsarchive.errors import OutputError

    flushed: dict[int, tuple[str, bool]] = {}  # fd -> (its file, renamed before the flush?)
    fail: set[str] = set()
    real_fsync = os.fsync
    lock = threading.Lock()

    def fsync(fd: int) -> None:
        name = os.readlink(f"/proc/self/fd/{fd}")
        with lock:
            flushed[fd] = (name, not name.endswith(".part"))
        if any(f"/.{f}." in name for f in fail):  # .NAME.PID-XXXXXXXX.part
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(fsio.os, "fsync", fsync)
    files = {tmp_path / f"a{ext}": ext.encode() * 1000 for ext in (".tei.xml", ".docx", ".pdf")}
    fsio.atomic_write_many(files)
    names = sorted(".".join(Path(n).name.split(".")[1:3])
                   for n, _ in flushed.values())
    assert names == ["a.docx", "a.pdf", "a.tei"]  # one flush per file, each its own
    assert not any(renamed for _, renamed in flushed.values())  # flushed while temporary
    assert all(p.read_bytes() == data for p, data in files.items())

    flushed.clear()
    fail.add("b.docx")
    again = {tmp_path / f"b{ext}": b"x" for ext in (".tei.xml", ".docx", ".pdf")}
    with pytest.raises(OutputError) as error:
        fsio.atomic_write_many(again)
    assert str(error.value) == f"{tmp_path / 'b.docx'}: cannot write: Input/output error"
    assert len(flushed) == 3  # every call waited for, the others too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.docx", "a.pdf", "a.tei.xml"]


_LOADED = """
import json, sys
from newsarchive.cli import main

sys.argv = ["newsarchive", "convert", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
heavy = ("newsarchive.normalize", "newsarchive.validate", "newsarchive.writers.tei",
         "newsarchive.writers.docx", "newsarchive.writers.pdf", "opencc", "reportlab", "docx")
print(json.dumps({"code": code, "loaded": [m for m in heavy if m in sys.modules]}))
"""


def test_a_rerun_of_unchanged_inputs_loads_no_normaliser_or_writer(tmp_path):
    """A no-op re-run reads the state and hashes the inputs: the normalisers, the schemas
    and the writers (a fifth of a second and more to import) are for the workers."""
    src, out = corpus(tmp_path / "in"), tmp_path / "out"
    args = [str(src), "-r", "-o", str(out), "-q"]
    env = {**os.environ, "PYTHONPATH": str(SEEDS.parent / "src")}
    for expect_loaded in (True, False):
        run = subprocess.run([sys.executable, "-c", _LOADED, *args], capture_output=True,
                             text=True, check=False, env=env)
        found = json.loads(run.stdout.splitlines()[-1])
        assert found["code"] in (0, None), run.stderr
        assert bool(found["loaded"]) is expect_loaded, found


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_a_linked_lock_file_is_refused_and_its_target_untouched(tmp_path, capsys, monkeypatch,
                                                                 link):
    """The output folder is shared: a lock file planted as a link to somebody's file must
    not have that file truncated, written (the pid) or removed."""
    src, out = corpus(tmp_path / "in", 1), tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("somebody's notes\n")
    lock = out / ".newsarchive-state.lock"
    (lock.symlink_to if link == "symlink" else lock.hardlink_to)(victim)
    code, _, err = cli(["convert", str(src), "-r", "-o", str(out), "--to", "tei"], capsys,
                       monkeypatch)
    assert code == 2
    assert err.strip().startswith(f"newsarchive: {lock}: not a lock file of ours")
    assert victim.read_text() == "somebody's notes\n"
    assert os.path.lexists(lock)  # not ours to remove either
    assert not list(out.glob("*.tei.xml"))
