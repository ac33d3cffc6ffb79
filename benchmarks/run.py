"""Throughput and memory of ``newsarchive convert``, beside pandoc + LibreOffice (a script,
not a test).

    .venv/bin/python benchmarks/run.py                       # 100, 1,000, 5,000 articles
    .venv/bin/python benchmarks/run.py --before main~5       # the same for an older commit too
    .venv/bin/python benchmarks/run.py --sizes 100 --peer-sizes 100 --stage-n 100  # quick

Builds synthetic corpora from seeds/ (paragraphs permuted per copy and a mark of its own,
so no two inputs are the same file) and prints, in one run:

* per-stage time (ms per article) of read+normalise, TEI+validate, DOCX, PDF, in one
  process over ``--stage-n`` articles;
* start-up: one ``convert`` of a single seed input (process start, imports, warm-up);
* end to end: the ``convert`` command a user runs (a fresh process, all three editions,
  validation, atomic writes, state file), ``--jobs`` workers, at each of ``--sizes``
  articles: wall seconds, articles/s, and the peak RSS of the process tree (``wait4``);
* the peers on the same normalised texts at ``--peer-sizes``: pandoc (markdown -> DOCX,
  one process per article, ``--jobs`` at a time) and LibreOffice headless (DOCX -> PDF,
  200 files per call, one private profile per worker), their sum, and our ratio to it.

With ``--before REV`` the code of that commit (``git archive`` of ``src/``) is measured in
the same run on the same corpora, so before and after sit side by side on one noisy machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
FORMATS = ("tei", "docx", "pdf")
STAGES = ("read+normalise", "TEI+validate", "DOCX", "PDF")
# Lines this long are body paragraphs; shorter ones (titles, headings, captions, credits)
# keep their place so every copy still has the structure of its seed.
PARAGRAPH = 60


# --------------------------------------------------------------------------- corpus


def articles_per_seed() -> dict[Path, int]:
    from newsarchive.pipeline import normalize_file

    return {s: len(normalize_file(s)) for s in SEEDS}


def make_corpus(
    folder: Path, articles: int, per_seed: dict[Path, int], seed: int = 1
) -> tuple[list[Path], int]:
    """Files under ``folder`` (1,000 per subfolder) until they hold ``articles`` articles;
    returns (files, articles)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    files: list[Path] = []
    count = i = 0
    while count < articles:
        src = SEEDS[i % len(SEEDS)]
        lines = src.read_text(encoding="utf-8").split("\n")
        slots = [k for k, line in enumerate(lines) if len(line) >= PARAGRAPH]
        body = [lines[k] for k in slots]
        rng.shuffle(body)
        for k, line in zip(slots, body, strict=True):
            lines[k] = line
        if slots:  # a mark of its own, so even a one-paragraph seed differs per copy
            lines[slots[-1]] += f"（样本{i}）"
        path = folder / f"{i // 1000:03}" / f"{i:06}_{src.stem}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes("\n".join(lines).encode("utf-8"))
        files.append(path)
        count += per_seed[src]
        i += 1
    return files, count


# --------------------------------------------------------------------------- processes


class Run(NamedTuple):
    seconds: float  # wall clock
    cpu: float  # user + system seconds of the process and its waited-for children
    rss: float  # peak RSS MB of the largest of them
    rc: int


def measured(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``command``: wall and CPU seconds, peak RSS. CPU seconds are what a noisy shared
    machine does not blur: wall time there depends on what the other tenants do."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        print(f"  ! {command[0]} … exit {proc.returncode}: {err.decode()[-400:]}", file=sys.stderr)
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode)


def code_env(src: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src), "PYTHONHASHSEED": "0"}


def convert(src: Path, inputs: list[str], out: Path, jobs: int) -> Run:
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "newsarchive", "convert", *inputs, "-o", str(out)]
    run = measured([*command, "--jobs", str(jobs), "--quiet"], code_env(src))
    shutil.rmtree(out, ignore_errors=True)
    return run if run.rc in (0, 1) else run._replace(seconds=float("nan"), cpu=float("nan"))


def stage_times(src: Path, files: list[Path], work: Path) -> dict[str, float]:
    """Seconds per stage over ``files``, in one fresh process running the code in ``src``."""
    listing = work / "stage-files.txt"
    listing.write_text("\n".join(map(str, files)), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, __file__, "--stages-of", str(listing)],
        env=code_env(src),
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if proc.returncode:
        print(f"  ! stages: {proc.stderr[-800:]}", file=sys.stderr)
        return {}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _stages_of(listing: Path) -> None:
    """(In a child process) every stage over the files in ``listing``, timed; JSON out."""
    from newsarchive.options import Options
    from newsarchive.pipeline import normalize_file, render

    try:
        from newsarchive.batch import warm_up
    except ImportError:  # batch.py became a package in a later version
        from newsarchive.batch.tasks import warm_up  # type: ignore[no-redef]

    options = Options()
    warm_up(options, FORMATS)
    paths = [Path(p) for p in listing.read_text(encoding="utf-8").splitlines()]
    times: dict[str, float] = dict.fromkeys(STAGES, 0.0)
    start = time.process_time()
    articles = [a for p in paths for a in normalize_file(p, options)]
    times["read+normalise"] = time.process_time() - start
    for stage, fmt in (("TEI+validate", "tei"), ("DOCX", "docx"), ("PDF", "pdf")):
        start = time.process_time()
        for article in articles:
            render(article, fmt, options)
        times[stage] = time.process_time() - start
    times["articles"] = len(articles)
    print(json.dumps(times))


# --------------------------------------------------------------------------- peers


def markdown(article: Any) -> str:
    md = article.metadata
    parts = [f"# {md.title}"] if md.title else []
    for block in article.blocks:
        if not block.text:
            continue
        parts.append(f"## {block.text}" if block.kind == "heading" else block.text)
    return "\n\n".join(parts) + "\n"


def run_parallel(commands: list[list[str]], workers: int) -> Run:
    """All ``commands``, ``workers`` at a time: wall seconds, CPU seconds, largest peak RSS."""
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(measured, commands))
    return Run(
        time.perf_counter() - start,
        sum(r.cpu for r in results),
        max((r.rss for r in results), default=0.0),
        max((r.rc for r in results), default=0),
    )


def peers(files: list[Path], work: Path, workers: int) -> dict[str, Run]:
    """pandoc (md -> DOCX) and LibreOffice (DOCX -> PDF) over the normalised ``files``."""
    from newsarchive.options import Options
    from newsarchive.pipeline import normalize_file

    options = Options()
    shutil.rmtree(work, ignore_errors=True)
    md_dir, docx_dir, pdf_dir = work / "md", work / "docx", work / "pdf"
    for d in (md_dir, docx_dir, pdf_dir):
        d.mkdir(parents=True)
    n = 0
    for f in files:
        for article in normalize_file(f, options):
            (md_dir / f"{n:06}.md").write_text(markdown(article), encoding="utf-8")
            n += 1
    times: dict[str, Run] = {}
    if shutil.which("pandoc"):
        cmds = [
            ["pandoc", "-f", "markdown", "-t", "docx", "-o", str(docx_dir / f"{p.stem}.docx"),
             str(p)]
            for p in sorted(md_dir.iterdir())
        ]
        times["pandoc"] = run_parallel(cmds, workers)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    docx = sorted(docx_dir.iterdir())
    if soffice and docx:
        profiles = [work / f"lo-profile-{k}" for k in range(workers)]

        def call(k: int, batch: list[Path], out: Path) -> list[str]:
            return [
                soffice,
                f"-env:UserInstallation=file://{profiles[k]}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                *map(str, batch),
            ]

        # The first start of a profile creates it (seconds): not what is being measured.
        run_parallel([call(k, docx[:1], work / "warm") for k in range(workers)], workers)
        chunk = 200
        batches = [docx[i : i + chunk] for i in range(0, len(docx), chunk)]
        groups = [
            [call(k, b, pdf_dir) for i, b in enumerate(batches) if i % workers == k]
            for k in range(workers)
        ]
        start = time.perf_counter()
        # One instance per profile at a time: LibreOffice locks its profile.
        with ThreadPoolExecutor(workers) as pool:
            runs = [r for g in pool.map(lambda g: [measured(c) for c in g], groups) for r in g]
        times["libreoffice"] = Run(
            time.perf_counter() - start,
            sum(r.cpu for r in runs),
            max(r.rss for r in runs),
            max(r.rc for r in runs),
        )
        made = len(list(pdf_dir.glob("*.pdf")))
        if made != len(docx):
            print(f"  ! LibreOffice made {made} PDFs of {len(docx)}", file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)
    return times


# --------------------------------------------------------------------------- report


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({len(os.sched_getaffinity(0))} usable), {model}, "
        f"{mem:.0f} GiB RAM; Python {platform.python_version()}, {platform.system()} "
        f"{platform.release()}; load average {load}"
    )


def say(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)


def export_src(rev: str, work: Path) -> Path:
    """``src/`` of commit ``rev`` in a folder of its own."""
    dest = work / f"src-{rev.replace('/', '_')}"
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "src"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,5000", help="articles per end-to-end run")
    parser.add_argument("--peer-sizes", default="100,1000", help="articles for the peers")
    parser.add_argument("--stage-n", type=int, default=1000, help="articles for per-stage times")
    parser.add_argument("--jobs", type=int, default=1, help="workers (ours and the peers')")
    parser.add_argument("--before", metavar="REV", help="also measure this commit's code")
    parser.add_argument(
        "--no-checkout", action="store_true", help="measure only --before, not this checkout"
    )
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--stages-of", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stages_of:
        _stages_of(args.stages_of)
        return
    # A size of 0 (``--peer-sizes 0``) means none: a corpus of no articles measures nothing
    # and would divide by zero in the table.
    sizes = [n for x in args.sizes.split(",") if x.strip() and (n := int(x)) > 0]
    peer_sizes = [n for x in args.peer_sizes.split(",") if x.strip() and (n := int(x)) > 0]
    jobs = max(1, args.jobs)
    work = args.work or Path(tempfile.mkdtemp(prefix="newsarchive-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    versions: dict[str, Path] = {}
    if args.before:
        versions[f"before ({args.before})"] = export_src(args.before, work)
    head = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if not (args.no_checkout and args.before):
        versions[f"this checkout ({head})"] = ROOT / "src"
    per_seed = articles_per_seed()
    corpora: dict[int, tuple[list[Path], int]] = {}
    for n in sorted({*sizes, *peer_sizes, args.stage_n}):
        say(f"corpus of {n} articles")
        corpora[n] = make_corpus(work / f"corpus-{n}", n, per_seed)

    results: dict[str, dict[str, Any]] = {}
    try:
        for label, src in versions.items():
            res: dict[str, Any] = results.setdefault(label, {})
            say(f"{label}: stages over {args.stage_n} articles")
            res["stages"] = stage_times(src, corpora[args.stage_n][0], work)
            say(f"{label}: start-up")
            res["startup"] = convert(src, [str(SEEDS[0])], work / "out", 1)
            for n in sizes:
                say(f"{label}: convert {n} articles, {jobs} worker(s)")
                folder = corpora[n][0][0].parent.parent
                res[n] = convert(src, [str(folder), "-r"], work / "out", jobs)
        peer: dict[int, dict[str, Run]] = {}
        for n in peer_sizes:
            say(f"peers on {n} articles, {jobs} at a time")
            peer[n] = peers(corpora[n][0], work / "peers", jobs)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    print(f"machine: {machine()}")
    print(f"corpora: copies of seeds/ ({len(SEEDS)} inputs, {sum(per_seed.values())} articles)")
    print()
    print(f"per stage, one process, {args.stage_n} articles (CPU ms per article):")
    print(f"  {'stage':<16}" + "".join(f"{label:>32}" for label in results))
    for stage in STAGES:
        cells = []
        for res in results.values():
            st = res["stages"]
            ok = st and st["articles"]  # --stage-n 0: no articles, nothing to divide by
            cells.append(f"{1000 * st[stage] / st['articles']:>32.1f}" if ok else f"{'-':>32}")
        print(f"  {stage:<16}" + "".join(cells))
    print()
    print("start-up (convert of one seed input, fresh process):")
    for label, res in results.items():
        run = res["startup"]
        print(f"  {label:<40} {run.seconds:6.2f} s wall {run.cpu:6.2f} s CPU {run.rss:6.0f} MB")
    print()
    print(
        f"end to end (`newsarchive convert -r`, TEI + DOCX + PDF/A, validated, process start, "
        f"--jobs {jobs}); art/CPU-s = articles per CPU second (what a free core would do):"
    )
    head = f"{'articles':>8} {'wall s':>8} {'art/s':>7} {'CPU s':>8} {'art/CPU-s':>9}"
    print(f"  {'':<40} {head} {'peak RSS':>9}")

    def rate(count: int, seconds: float) -> float:
        return count / seconds if seconds > 0 else float("nan")  # a run that did nothing

    def line(label: str, count: int, run: Run, extra: str = "") -> None:
        print(
            f"  {label:<40} {count:>8} {run.seconds:>8.1f} {rate(count, run.seconds):>7.1f} "
            f"{run.cpu:>8.1f} {rate(count, run.cpu):>9.1f} {run.rss:>6.0f} MB{extra}"
        )

    ours: dict[int, Run] = {}
    for label, res in results.items():
        for n in sizes:
            ours[n] = res[n]
            line(label, corpora[n][1], res[n])
    for n in peer_sizes:
        count = corpora[n][1]
        for name in ("pandoc", "libreoffice"):
            if name in peer[n]:
                line(name, count, peer[n][name])
        if len(peer[n]) == 2:
            p, lo = peer[n]["pandoc"], peer[n]["libreoffice"]
            both = Run(p.seconds + lo.seconds, p.cpu + lo.cpu, max(p.rss, lo.rss), 0)
            ratio = ""
            if n in ours:
                ratio = (
                    f"  ours/peers: {rate(both.seconds, ours[n].seconds):.1f}x wall, "
                    f"{rate(both.cpu, ours[n].cpu):.1f}x CPU"
                )
            line("pandoc + LibreOffice (DOCX + PDF)", count, both, ratio)


if __name__ == "__main__":
    main()
