"""How every ``newsarchive`` command looks and parses: plain help in the style of ruff and
pandoc (``-o, --output PATH``, no ``<bool>``/``<list[str]>`` type labels, paragraphs
rewrapped to the terminal), ``-h``, and suggestions for the flags people reach for from
other tools (``--format`` is ``--to`` here).

Both ``cli.py`` and ``archive/cli.py`` build their Typer apps with :func:`make_app` and
their commands with ``cls=Command``.
"""

from __future__ import annotations

import difflib
import inspect
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# Flags of pandoc, markitdown, trafilatura… and what they are called here.
LOOKALIKES = {
    "--format": "--to",
    "--formats": "--to",
    "--output-format": "--to",
    "--write": "--to",
    "--output-dir": "--output",
    "--outdir": "--output",
    "--input-dir": "a folder argument (folders are walked)",
    "--workers": "--jobs",
    "--processes": "--jobs",
    "--threads": "--jobs",
    "--verbose": "the default output (-q for less)",
    "--silent": "--quiet",
    "--overwrite": "--force",
    "--traditional": "--script hant",
    "--simplified": "--script hans",
}


def _first_sentence(text: str | None) -> str:
    paragraph = inspect.cleandoc(text or "").partition("\n\n")[0].replace("\n", " ")
    for end in (". ", "。"):
        if end in paragraph:
            return paragraph.split(end, 1)[0].rstrip(".") + "."
    return paragraph


def _argument_name(param: Any) -> str:
    name = param.metavar or param.name.upper()
    return name + "..." if param.nargs != 1 else name


def _record(param: Any, ctx: Any) -> tuple[str, str] | None:
    if getattr(param, "hidden", False):
        return None
    help_text = " ".join(inspect.cleandoc(param.help or "").split())
    if isinstance(param, TyperArgument):
        return _argument_name(param), help_text
    opts = sorted(param.opts, key=lambda o: (o.startswith("--"), o))
    name = ", ".join(opts + list(param.secondary_opts))
    if not param.is_flag and not getattr(param, "count", False):
        name += " " + (param.metavar or param.name.upper())
    default = param.default
    if (
        param.show_default is not False
        and not param.is_flag
        and default not in (None, "", [], ())
        and not callable(default)
        and "default" not in help_text
    ):
        help_text += f" [default: {default}]"
    if param.envvar and param.show_envvar:
        help_text += f" [env: {param.envvar}]"
    return name, help_text.strip()


class Command(TyperCommand):
    """A command with plain help and helpful "no such option" errors."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = _argument_name(param)
                pieces.append(name if param.required else f"[{name}]")
        return pieces

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.format_usage(ctx, formatter)
        self.format_help_text(ctx, formatter)
        self.format_options(ctx, formatter)
        self.format_epilog(ctx, formatter)

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments = [p for p in self.get_params(ctx) if isinstance(p, TyperArgument)]
        options = [p for p in self.get_params(ctx) if not isinstance(p, TyperArgument)]
        for title, params in (("Arguments", arguments), ("Options", options)):
            rows = [r for r in (_record(p, ctx) for p in params) if r]
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows, col_max=28)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except typer._click.exceptions.NoSuchOption as exc:  # type: ignore[attr-defined]
            name = exc.option_name.split("=", 1)[0]
            known = [o for p in self.params for o in (*p.opts, *p.secondary_opts)]
            if name in LOOKALIKES:
                exc.possibilities = None
                exc.message = f"no such option: {name} (did you mean {LOOKALIKES[name]}?)"
            else:
                close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
                exc.possibilities = None
                exc.message = f"no such option: {name}" + (
                    f" (did you mean {close[0]}?)" if close else ""
                )
            raise


class Group(TyperGroup):
    """A command group whose help lists each command with its first sentence."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.format_usage(ctx, formatter)
        if self.help:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(inspect.cleandoc(self.help))
        params = [r for r in (_record(p, ctx) for p in self.get_params(ctx)) if r]
        if params:
            with formatter.section("Options"):
                formatter.write_dl(params)
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, _first_sentence(command.short_help or command.help)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
        self.format_epilog(ctx, formatter)


def make_app(**settings: Any) -> typer.Typer:
    """A Typer app with this project's help style and habits."""
    settings.setdefault("no_args_is_help", True)
    return typer.Typer(
        cls=Group,
        rich_markup_mode=None,
        context_settings=CONTEXT,
        add_completion=False,
        pretty_exceptions_enable=False,
        **settings,
    )
