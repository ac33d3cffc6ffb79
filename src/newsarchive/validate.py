"""Validation of TEI editions: project RELAX NG + Schematron always, tei_all on demand.

Schemas are compiled once per process (``functools.cache``): the project pair in a few
milliseconds, tei_all in about 4.5 s, so tei_all is loaded only when asked for.
Problems are reported as ``file:line:col: message``; lxml's wording is rewritten into
plainer English, and ``jing=True`` uses jing's (clearer) messages for tei_all when the
``jing`` command is installed.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from lxml import etree, isoschematron

from newsarchive.errors import InputError, ValidationError
from newsarchive.readers.tei import parse_xml

SVRL_NS = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
TEI_ALL_ENV = "NEWSARCHIVE_TEI_ALL"
_POSITION = re.compile(r"^(\d+):(\d+): (.*)$", re.S)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


def _schema_file(name: str) -> etree._ElementTree:
    ref = resources.files("newsarchive").joinpath("data", "schemas", name)
    with ref.open("rb") as handle:
        return etree.parse(handle)


@functools.cache
def project_rng() -> etree.RelaxNG:
    return etree.RelaxNG(_schema_file("newsarchive.rng"))


@functools.cache
def project_schematron() -> isoschematron.Schematron:
    return isoschematron.Schematron(_schema_file("newsarchive.sch"), store_report=True)


def tei_all_path() -> Path:
    """tei_all.rng: ``$NEWSARCHIVE_TEI_ALL``, else ``schemas/`` of the source checkout or
    of the current directory (it is 1 MB and only needed on demand, so not package data)."""
    candidates = []
    if os.environ.get(TEI_ALL_ENV):
        candidates.append(Path(os.environ[TEI_ALL_ENV]))
    candidates.append(Path(__file__).resolve().parents[2] / "schemas" / "tei_all.rng")
    candidates.append(Path.cwd() / "schemas" / "tei_all.rng")
    for path in candidates:
        if path.is_file():
            return path
    raise ValidationError(f"tei_all.rng not found; set {TEI_ALL_ENV} to its path")


@functools.cache
def tei_all_rng() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(tei_all_path())))


# lxml (libxml2) wording -> plainer wording, first match wins.
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"^Expecting an element , got nothing$", "a required element is missing"),
        (r"^Expecting an element (\S+), got nothing$", r"missing required element \1"),
        (r"^Expecting element (\S+), got (\S+)$", r"expected element \1 but found \2"),
        (r"^Did not expect element (\S+) there$", r"element \1 is not allowed here"),
        (r"^Did not expect text in element (\S+) content$", r"text is not allowed in \1"),
        (r"^Element (\S+) has extra content: (\S+)$", r"\1 has unexpected content (\2)"),
        (r"^Extra element (\S+) in interleave$", r"element \1 is not allowed here"),
        (r"^Invalid attribute (\S+) for element (\S+)$", r"attribute \1 on \2 is not allowed"),
        (r"^Element (\S+) failed to validate attributes$", r"\1 has a missing or bad attribute"),
        (r"^Error validating datatype (\S+)$", r"value is not a valid \1"),
        (r"^Error validating value\s*$", "value is not one of the allowed values"),
        (r"^Element (\S+) failed to validate content$", r"\1 has invalid content"),
    )
)
_CONSEQUENTIAL = re.compile(
    r"failed to validate (content|attributes)|Invalid sequence in interleave"
)


def _readable(message: str) -> str:
    message = message.strip()
    for pattern, repl in _REWRITES:
        if pattern.match(message):
            return pattern.sub(repl, message)
    return message


def _rng_problems(
    schema: etree.RelaxNG, tree: etree._ElementTree, name: str, label: str
) -> list[Problem]:
    if schema.validate(tree):
        return []
    entries = list(schema.error_log)
    # libxml2 repeats each error up the ancestor chain ("X failed to validate content");
    # keep those only when nothing more specific was reported.
    specific = [e for e in entries if not _CONSEQUENTIAL.search(e.message)] or entries
    # "Expecting an element , got nothing" names nothing; drop it where a line says more.
    named_lines = {e.line for e in specific if not e.message.startswith("Expecting an element ,")}
    specific = [
        e
        for e in specific
        if not (e.message.startswith("Expecting an element ,") and e.line in named_lines)
    ]
    seen: set[tuple[int, int, str]] = set()
    problems = []
    for e in specific:
        key = (e.line, e.column, e.message)
        if key not in seen:
            seen.add(key)
            problems.append(Problem(name, e.line, e.column, f"{label}: {_readable(e.message)}"))
    return problems


def _schematron_problems(tree: etree._ElementTree, name: str) -> list[Problem]:
    sch = project_schematron()
    if sch.validate(tree):
        return []
    report = sch.validation_report
    problems = []
    for failed in report.xpath(
        "//svrl:failed-assert | //svrl:successful-report", namespaces=SVRL_NS
    ):
        text = " ".join(failed.xpath("string(svrl:text)", namespaces=SVRL_NS).split())
        line = 0
        try:
            nodes = tree.xpath(failed.get("location", ""))
            if nodes and hasattr(nodes[0], "sourceline"):
                line = nodes[0].sourceline or 0
            elif nodes and hasattr(nodes[0], "getparent"):  # attribute result
                parent = nodes[0].getparent()
                line = parent.sourceline if parent is not None else 0
        except etree.XPathError:
            pass
        problems.append(Problem(name, line, 0, f"newsarchive.sch: {text}"))
    return problems


def validate_tree(
    tree: etree._ElementTree | etree._Element, *, name: str = "<memory>", tei_all: bool = False
) -> list[Problem]:
    """Validate a parsed or freshly built TEI tree (line numbers are 0 for built trees)."""
    if isinstance(tree, etree._Element):
        tree = etree.ElementTree(tree)
    problems = _rng_problems(project_rng(), tree, name, "newsarchive.rng")
    problems += _schematron_problems(tree, name)
    if tei_all:
        problems += _rng_problems(tei_all_rng(), tree, name, "tei_all")
    return sorted(problems, key=lambda p: (p.line, p.col))


def _jing_problems(data: bytes, name: str, schema: Path, label: str) -> list[Problem]:
    jing = shutil.which("jing")
    assert jing is not None
    with tempfile.NamedTemporaryFile(suffix=".xml") as tmp:
        tmp.write(data)
        tmp.flush()
        run = subprocess.run(
            [jing, str(schema), tmp.name], capture_output=True, text=True, timeout=120
        )
    problems = []
    for raw in run.stdout.splitlines():
        m = re.match(r"^.*?:(\d+):(\d+): (?:error|fatal): (.*)$", raw)
        if m:
            problems.append(Problem(name, int(m[1]), int(m[2]), f"{label}: {m[3]}"))
    if run.returncode and not problems:
        problems.append(Problem(name, 0, 0, f"{label}: jing failed: {run.stderr.strip()[-300:]}"))
    return problems


def validate_tei(
    source: bytes | str | os.PathLike[str],
    *,
    tei_all: bool = False,
    name: str | None = None,
    jing: bool = False,
) -> list[Problem]:
    """Problems of a TEI file (path) or of TEI bytes; an empty list means valid.

    Always the project RELAX NG + Schematron; ``tei_all=True`` adds the TEI P5 tei_all
    schema. ``jing=True`` runs both RELAX NG checks with jing (clearer messages, ~0.4 s
    per schema for the JVM) when the ``jing`` command is installed, else lxml.
    Malformed or hostile XML (DOCTYPE, entities, excessive depth) is one problem, not an
    exception; an unreadable path raises :class:`InputError`.
    """
    if isinstance(source, bytes):
        data, label = source, name or "<bytes>"
    else:
        path = Path(source)
        label = name or str(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", str(path)) from exc
    try:
        tree = parse_xml(data, label)
    except InputError as exc:
        m = _POSITION.match(exc.cause)
        if m:
            return [Problem(label, int(m[1]), int(m[2]), m[3])]
        return [Problem(label, 0, 0, exc.cause)]
    if not (jing and shutil.which("jing")):
        return validate_tree(tree, name=label, tei_all=tei_all)
    # jing words RELAX NG errors far better than libxml2 and costs ~0.4 s of JVM start.
    with resources.as_file(
        resources.files("newsarchive").joinpath("data", "schemas", "newsarchive.rng")
    ) as project:
        problems = _jing_problems(data, label, project, "newsarchive.rng")
    problems += _schematron_problems(tree, label)
    if tei_all:
        problems += _jing_problems(data, label, tei_all_path(), "tei_all")
    return sorted(problems, key=lambda p: (p.line, p.col))


def check_tei(data: bytes, name: str) -> None:
    """Raise :class:`ValidationError` listing every problem unless ``data`` is valid
    against the project schemas (for convert, on every output before it is written)."""
    problems = validate_tei(data, name=name)
    if problems:
        details = "; ".join(f"line {p.line}: {p.message}" for p in problems[:3])
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        raise ValidationError(f"the TEI edition does not validate: {details}{more}", name)
