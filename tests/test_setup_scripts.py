"""scripts/setup.sh: pip runs only when pyproject.toml or the extras asked for changed.

The real script runs in a scratch copy of the project whose .venv/bin/python records how
it is called instead of installing (a real install is what scripts/test.sh does)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def project(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup.sh", tmp_path / "scripts" / "setup.sh")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    python.write_text(f'#!/bin/sh\necho "$*" >> {tmp_path}/pip.log\n')
    python.chmod(0o755)
    newsarchive = bin_dir / "newsarchive"
    newsarchive.write_text("#!/bin/sh\n")
    newsarchive.chmod(0o755)
    return tmp_path


def setup(root: Path, *extras: str) -> list[str]:
    """Run scripts/setup.sh; return the pip calls it made."""
    log = root / "pip.log"
    log.unlink(missing_ok=True)
    subprocess.run(["bash", "scripts/setup.sh", *extras], cwd=root, check=True, timeout=60)
    return log.read_text().splitlines() if log.exists() else []


def test_pip_runs_only_when_something_changed(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert setup(root) == ["-m pip install -q -e ."]  # the runtime only
    assert setup(root) == []  # installed: nothing to do
    assert setup(root, "test,dask") == ["-m pip install -q -e .[test,dask]"]
    assert setup(root, "test,dask") == []
    assert setup(root, "test") == []  # covered by what is installed
    assert setup(root) == []
    with (root / "pyproject.toml").open("a") as handle:
        handle.write("\n# a new dependency\n")
    assert setup(root, "test") == ["-m pip install -q -e .[test]"]
    assert setup(root, "dask") == ["-m pip install -q -e .[dask]"]  # not with that hash
