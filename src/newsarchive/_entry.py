"""The console script: ``newsarchive --version`` answers before Typer (and pydantic, which
it loads to coerce parameters) is imported; everything else goes to :mod:`newsarchive.cli`."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from newsarchive import __version__

        print(f"newsarchive {__version__}")
        return
    from newsarchive.cli import main as cli_main

    cli_main()
