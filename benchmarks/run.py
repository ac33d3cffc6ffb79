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
from typing import Any

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


def measured(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Run ``command``; (wall seconds, peak RSS MB of it and its waited-for children, rc)."""
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
    return seconds, usage.ru_maxrss / 1024, proc.returncode


def code_env(src: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src), "PYTHONHASHSEED": "0"}


def convert(src: Path, inputs: list[str], out: Path, jobs: int) -> tuple[float, float]:
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "newsarchive", "convert", *inputs, "-o", str(out)]
    seconds, rss, rc = measured([*command, "--jobs", str(jobs), "--quiet"], code_env(src))
    shutil.rmtree(out, ignore_errors=True)
    return (seconds, rss) if rc in (0, 1) else (float("nan"), rss)


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
    start = time.perf_counter()
    articles = [a for p in paths for a in normalize_file(p, options)]
    times["read+normalise"] = time.perf_counter() - start
    for stage, fmt in (("TEI+validate", "tei"), ("DOCX", "docx"), ("PDF", "pdf")):
        start = time.perf_counter()
        for article in articles:
            render(article, fmt, options)
        times[stage] = time.perf_counter() - start
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


def run_parallel(commands: list[list[str]], workers: int) -> tuple[float, float]:
    """Wall seconds of all ``commands``, ``workers`` at a time; the largest peak RSS."""
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(measured, commands))
    return time.perf_counter() - start, max((r[1] for r in results), default=0.0)


def peers(files: list[Path], work: Path, workers: int) -> dict[str, tuple[float, float]]:
    """(seconds, peak RSS MB) of pandoc (md -> DOCX) and LibreOffice (DOCX -> PDF)."""
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
    times: dict[str, tuple[float, float]] = {}
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
            rss = list(pool.map(lambda g: max((measured(c)[1] for c in g), default=0.0), groups))
        times["libreoffice"] = (time.perf_counter() - start, max(rss))
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
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--stages-of", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stages_of:
        _stages_of(args.stages_of)
        return
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    peer_sizes = [int(x) for x in args.peer_sizes.split(",") if x.strip()]
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
        peer: dict[int, dict[str, tuple[float, float]]] = {}
        for n in peer_sizes:
            say(f"peers on {n} articles, {jobs} at a time")
            peer[n] = peers(corpora[n][0], work / "peers", jobs)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    print(f"machine: {machine()}")
    print(f"workers: {jobs}; corpora: copies of seeds/ ({len(SEEDS)} inputs, " "6 articles)")
    print()
    print(f"per stage, one process, {args.stage_n} articles (ms per article):")
    print(f"  {'stage':<16}" + "".join(f"{label:>32}" for label in results))
    for stage in STAGES:
        cells = []
        for res in results.values():
            st = res["stages"]
            cells.append(f"{1000 * st[stage] / st['articles']:>32.1f}" if st else f"{'-':>32}")
        print(f"  {stage:<16}" + "".join(cells))
    print()
    print("start-up (convert of one seed input, fresh process):")
    for label, res in results.items():
        secs, rss = res["startup"]
        print(f"  {label:<40} {secs:6.2f} s  {rss:6.0f} MB")
    print()
    print("end to end (`newsarchive convert -r`, TEI + DOCX + PDF/A, validated, process start):")
    print(f"  {'':<40} {'articles':>8} {'seconds':>9} {'art/s':>8} {'peak RSS':>9}")
    ours: dict[int, float] = {}
    for label, res in results.items():
        for n in sizes:
            secs, rss = res[n]
            count = corpora[n][1]
            ours[n] = count / secs
            print(f"  {label:<40} {count:>8} {secs:>9.1f} {count / secs:>8.1f} {rss:>6.0f} MB")
    for n in peer_sizes:
        count = corpora[n][1]
        both = 0.0
        rss_max = 0.0
        for name in ("pandoc", "libreoffice"):
            if name in peer[n]:
                secs, rss = peer[n][name]
                both += secs
                rss_max = max(rss_max, rss)
                print(f"  {name:<40} {count:>8} {secs:>9.1f} {count / secs:>8.1f} {rss:>6.0f} MB")
        if len(peer[n]) == 2:
            rate = count / both
            ratio = f"  ours/peers {ours[n] / rate:.1f}x" if n in ours else ""
            label = "pandoc + LibreOffice (DOCX + PDF)"
            print(f"  {label:<40} {count:>8} {both:>9.1f} {rate:>8.1f} {rss_max:>6.0f} MB{ratio}")


if __name__ == "__main__":
    main()
