"""Run every hostile input through the CLI and write the table in docs/hostile-input.md.

    .venv/bin/python scripts/hostile_report.py [--out docs/hostile-input.md]

Each input is converted on its own (one process per case) so a crash is counted against the
case that caused it. "Partial files" counts temporary or truncated editions left behind.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from bad.corpus import CASES, leftovers, write_corpus  # noqa: E402

NO_OVERRIDE = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
               "--bounding-set=-dac_override,-dac_read_search", "--"]


def run(args: list[str], *, fsize: int | None = None, unprivileged: bool = False
        ) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "newsarchive", *args]
    if unprivileged and os.geteuid() == 0:
        command = NO_OVERRIDE + command

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))  # type: ignore[arg-type]

    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600,
                          preexec_fn=limit if fsize else None)


def outcome(result: subprocess.CompletedProcess[str]) -> tuple[str, bool]:
    crashed = "Traceback" in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln and not ln.startswith(" ")]
    message = next((ln for ln in lines if "article(s)" not in ln and not
                    ln.startswith(("converted", "failed:"))), "")
    if result.returncode == 0:
        return "converted", crashed
    return f"exit {result.returncode}: `{message.split(': ', 1)[-1][:90]}`", crashed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "hostile-input.md")
    options = parser.parse_args()
    rows: list[tuple[str, str, str, int]] = []
    crashes = partials = 0
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "in"
        write_corpus(corpus)
        for case in CASES:
            out = Path(tmp) / "out" / case.name
            result = run(["convert", "-o", str(out), "--", str(corpus / case.name)])
            if case.tei_input:
                checked = run(["validate", str(corpus / case.name)])
                result = checked if checked.returncode else result
            text, crashed = outcome(result)
            left = len(leftovers(out)) if out.exists() else 0
            crashes += crashed
            partials += left
            rows.append((case.what, "converted" if case.expect == "ok" else "refused", text, left))
        seed = ROOT / "seeds" / "000_8a8d1d953e3f51ef.txt"
        locked = Path(tmp) / "locked"
        locked.mkdir(mode=0o555)
        locked.chmod(0o555)
        for what, result, folder in (
            ("output folder not writable", run(["convert", "-o", str(locked), str(seed)],
                                                unprivileged=True), locked),
            ("file system full mid-write (RLIMIT_FSIZE 200 KB)",
             run(["convert", "-o", str(Path(tmp) / "full"), str(seed)], fsize=200_000),
             Path(tmp) / "full"),
        ):
            text, crashed = outcome(result)
            left = len(leftovers(folder)) if folder.exists() else 0
            crashes += crashed
            partials += left
            rows.append((what, "refused", text, left))
    lines = [
        "# Hostile and broken input: what was tried and what happens",
        "",
        "Produced by `scripts/hostile_report.py` (each input converted on its own through the",
        "CLI). SIGKILL mid-batch, unreadable files, symlink loops, hidden files and editor",
        "back-ups are exercised by `tests/test_hostile.py`.",
        "",
        f"**Inputs tried: {len(rows)} — crashes (tracebacks): {crashes} — partial files left: "
        f"{partials}.**",
        "",
        "| input | expected | what happens | partial files |",
        "|---|---|---|---|",
        *(f"| {what} | {expected} | {text} | {left} |" for what, expected, text, left in rows),
        "",
    ]
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text("\n".join(lines), "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
