"""Validation of TEI editions: the project schema always, tei_all on demand.

The project schema is the ODD customisation ``schemas/newsarchive.odd`` compiled by
``scripts/odd2rng.py`` into ``newsarchive.rng`` (a strict subset of tei_all) and
``newsarchive.sch`` (what RELAX NG cannot say). Schemas are compiled once per process
(``functools.cache``): the project pair in a few milliseconds, tei_all in about 4.5 s.
:func:`validate_files` checks a whole batch in one process: every file is first parsed
with the hardened parser (no DTD, no entities, size and depth limits), and only files that
pass reach a validator; with ``tei_all`` the batch goes to ONE jing run when jing is
installed (clearer messages, one JVM start), else to lxml. Problems are reported as
``file:line:col: message``; for libxml2's messages, which carry no column, the column is
that of the start tag of the element concerned.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from lxml import etree
from lxml.isoschematron import (
    iso_abstract_expand,
    iso_dsdl_include,
    iso_svrl_for_xslt1,
    stylesheet_params,
)

from newsarchive.errors import InputError, ValidationError
from newsarchive.fsio import read_regular
from newsarchive.readers.tei import _DTD_MARKERS, _TOO_DEEP, MAX_BYTES, parse_xml

SVRL_NS = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
XSL = "{http://www.w3.org/1999/XSL/Transform}"
RNG = "{http://relaxng.org/ns/structure/1.0}"
# scripts/odd2rng.py: the wording of a refused value, on the attribute pattern the ODD changed
ODD_MESSAGE = "{urn:x-newsarchive:odd2rng}message"
TEI_ALL_ENV = "NEWSARCHIVE_TEI_ALL"
_POSITION = re.compile(r"^(\d+):(\d+): (.*)$", re.S)
PROJECT_SCHEMA = "newsarchive.rng + newsarchive.sch (ODD customisation of TEI P5 4.12.0)"
TEI_ALL_SCHEMA = "tei_all.rng (TEI P5 4.12.0)"
JING_BATCH = 400  # files per jing run (command-line length)


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
def project_schematron() -> etree.XSLT:
    """newsarchive.sch compiled to XSLT by ISO Schematron's own XSLT 1 skeleton (lxml's
    copy), then changed in two ways that leave the report as it was and make the run linear
    and ~5x cheaper:

    * the skeleton walks the whole tree once per pattern (``apply-templates`` of
      ``@*|*|…``: libxml2 merges those node-sets by pairwise comparison, so a div of 40,000
      paragraphs costs 40,000² steps), and its ``select-contexts='key'`` option gathers
      every pattern's nodes in one ``xsl:key`` value (the same pairwise check on each
      insertion). Instead each pattern applies its rules to the nodes of each rule context,
      selected by ``//context`` (the nodes a match pattern matches), one selection per
      branch when the branches name different elements (so no node is taken twice),
      otherwise one union. The rules, their order and priorities are the skeleton's: a node
      still fires the first rule of its pattern that matches it. Only the order of the
      report within a pattern can differ (branch by branch); problems are sorted by line.
    * the skeleton's ``location`` of a failure is a full XPath that counts the node's
      preceding siblings of its name (quadratic when 20,000 paragraphs of a div fail, and
      then evaluated once more to find the node): it becomes ``line:name`` of the node, from
      :func:`_where`, which is all a problem reports;
    * the skeleton writes an empty ``xsl:apply-templates`` in every ``svrl:active-pattern``
      (its own comment: "never triggered"): in the default mode it walks the whole document
      once per pattern and outputs nothing (no rule lives in that mode). It is taken out.
    """
    schematron = iso_abstract_expand(iso_dsdl_include(_schema_file("newsarchive.sch")))
    xslt = iso_svrl_for_xslt1(schematron, **stylesheet_params(**{"select-contexts": "key"}))
    root = xslt.getroot()
    svrl = "{" + SVRL_NS["svrl"] + "}"
    for pattern in root.iter(svrl + "active-pattern"):
        for walk in pattern.findall(XSL + "apply-templates"):
            if not walk.attrib:  # the bare one; the rules' own calls carry select and mode
                pattern.remove(walk)
    contexts: dict[str, list[str]] = {}
    for key in root.findall(XSL + "key"):
        if key.get("name") == "M":  # the skeleton's: match = a rule context, use = 'M<n>'
            contexts.setdefault(key.get("use", "").strip("'"), []).append(key.get("match", ""))
            root.remove(key)
    for select in list(root.iter(XSL + "apply-templates")):
        m = re.fullmatch(r"key\('M','(M\d+)'\)", select.get("select", ""))
        if not m:
            continue
        branches = [b for c in contexts[m[1]] for b in _branches(c)]
        names = [_final_name(b) for b in branches]
        parent = select.getparent()
        if len(branches) == 1 or (None not in names and len(set(names)) == len(names)):
            at = parent.index(select)
            for i, branch in enumerate(branches):
                one = etree.Element(XSL + "apply-templates", select=_rooted(branch),
                                    mode=select.get("mode", ""))
                parent.insert(at + i, one)
            parent.remove(select)
        else:
            select.set("select", " | ".join(_rooted(b) for b in branches))
    for template in root.findall(XSL + "template"):
        if template.get("mode") == "schematron-get-full-path":
            root.remove(template)
    where = etree.SubElement(root, XSL + "template", nsmap={"nx": WHERE_NS},
                             match="*|@*", mode="schematron-get-full-path")
    etree.SubElement(where, XSL + "value-of", select="nx:where(.)")
    return etree.XSLT(xslt, extensions={(WHERE_NS, "where"): _where})


WHERE_NS = "urn:x-newsarchive:validate"


def _where(_context: object, nodes: list) -> str:  # type: ignore[type-arg]
    """``line:name`` of the element (or of an attribute's element) a failure is about."""
    node = nodes[0] if nodes else None
    if node is not None and not isinstance(node, etree._Element):
        node = node.getparent() if hasattr(node, "getparent") else None
    if node is None or not isinstance(node.tag, str):
        return "0:"
    return f"{node.sourceline or 0}:{etree.QName(node).localname}"


def _branches(pattern: str) -> list[str]:
    """The location path patterns of an XSLT pattern (split at ``|`` outside [] and '')."""
    out: list[str] = []
    depth, quote, start = 0, "", 0
    for i, ch in enumerate(pattern):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(pattern[start:i].strip())
            start = i + 1
    out.append(pattern[start:].strip())
    return out


def _final_name(branch: str) -> str | None:
    """The element name of a branch's last step (None: a wildcard, attribute or other node
    test, which could select what another branch selects)."""
    depth, step = 0, 0
    for i, ch in enumerate(branch):
        depth += ch == "["
        depth -= ch == "]"
        if ch == "/" and depth == 0:
            step = i + 1
    name = branch[step:].split("[", 1)[0].strip()
    return name if re.fullmatch(r"[\w.-]+:[\w.-]+|[\w.-]+", name) else None


def _rooted(branch: str) -> str:
    """The XPath expression selecting what the match pattern ``branch`` matches."""
    return branch if branch.startswith(("/", "id(", "key(")) else "//" + branch


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


def _column(tree: etree._ElementTree, lines: list[bytes] | None, line: int, path: str) -> int:
    """1-based column of the start tag of the element at ``path`` on ``line`` (0: unknown)."""
    if not lines or not 0 < line <= len(lines):
        return 0
    try:
        found = tree.xpath(path) if path else []
    except etree.XPathError:
        found = []
    el = found[0] if found and isinstance(found[0], etree._Element) else None
    if el is None or el.sourceline != line:
        return 0
    text = lines[line - 1].decode("utf-8", "replace")
    name = etree.QName(el).localname
    m = re.search(rf"<(?:[\w.-]+:)?{re.escape(name)}(?=[\s/>])", text)
    return m.start() + 1 if m else 0


@functools.cache
def _attribute_messages() -> dict[tuple[str, str], str]:
    """(element, attribute local name) -> the ODD's wording for a refused value of that
    attribute there (``odd:message`` on the attribute patterns the element reaches)."""
    grammar = _schema_file("newsarchive.rng").getroot()
    defines = {d.get("name"): d for d in grammar.iter(RNG + "define")}
    found: dict[tuple[str, str], str] = {}
    for element in grammar.iter(RNG + "element"):
        stack, seen = list(element), set()
        while stack:  # the element's own patterns and refs, not those of child elements
            node = stack.pop()
            if not isinstance(node.tag, str) or node.tag == RNG + "element":
                continue
            if node.tag == RNG + "ref" and node.get("name") not in seen:
                seen.add(node.get("name"))
                stack.extend(defines.get(node.get("name"), ()))
            elif node.tag == RNG + "attribute" and node.get(ODD_MESSAGE):
                local = (node.get("name") or "").rpartition(":")[2]
                found[(element.get("name") or "", local)] = node.get(ODD_MESSAGE)
            else:
                stack.extend(node)
    return found


_INVALID_ATTRIBUTE = re.compile(r"^Invalid attribute (\S+) for element (\S+)$")


def _attribute_problem(tree: etree._ElementTree, message: str, path: str) -> str | None:
    """libxml2's "Invalid attribute when for element date" with the value and the ODD's
    wording, when the attribute is there and the ODD narrowed it."""
    m = _INVALID_ATTRIBUTE.match(message.strip())
    if not m or (m[2], m[1]) not in _attribute_messages() or not path:
        return None
    try:
        found = tree.xpath(path)
    except etree.XPathError:
        return None
    el = found[0] if found and isinstance(found[0], etree._Element) else None
    if el is None:
        return None
    for name, value in el.attrib.items():
        if etree.QName(name).localname == m[1]:
            xml = name.startswith("{http://www.w3.org/XML/1998/namespace}")
            shown = "xml:" + m[1] if xml else m[1]
            return f'{m[2]}/@{shown}="{value}" {_attribute_messages()[(m[2], m[1])]}'
    return None


def _rng_problems(
    schema: etree.RelaxNG,
    tree: etree._ElementTree,
    name: str,
    label: str,
    lines: list[bytes] | None = None,
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
            path = getattr(e, "path", "") or ""
            col = e.column or _column(tree, lines, e.line, path)
            text = _attribute_problem(tree, e.message, path) or _readable(e.message)
            problems.append(Problem(name, e.line, col, f"{label}: {text}"))
    return problems


_FAILURES = etree.XPath("//svrl:failed-assert | //svrl:successful-report", namespaces=SVRL_NS)


def _schematron_problems(
    tree: etree._ElementTree, name: str, lines: list[bytes] | None = None
) -> list[Problem]:
    report = project_schematron()(tree)
    failures = _FAILURES(report)
    if not failures:
        return []
    problems = []
    for failed in failures:
        text = " ".join(failed.xpath("string(svrl:text)", namespaces=SVRL_NS).split())
        line, _, tag = failed.get("location", "").partition(":")
        n = int(line) if line.isdigit() else 0
        problems.append(Problem(name, n, _tag_column(lines, n, tag), f"newsarchive.sch: {text}"))
    return problems


def _tag_column(lines: list[bytes] | None, line: int, name: str) -> int:
    """1-based column of the first start tag ``name`` on ``line`` (0: unknown)."""
    if not lines or not name or not 0 < line <= len(lines):
        return 0
    text = lines[line - 1].decode("utf-8", "replace")
    m = re.search(rf"<(?:[\w.-]+:)?{re.escape(name)}(?=[\s/>])", text)
    return m.start() + 1 if m else 0


# ---------------------------------------------------------------- the edit log, fast
#
# The edit log is most of an edition (~650 of ~750 elements) and nearly all of its
# validation time: libxml2 walks TEI's mixed-content models (change, seg, orig, reg) by
# backtracking, ~4 µs per element. Its items have a handful of shapes, all written by
# writers/tei.py. So each ``change`` after the first of a listChange is matched against
# those shapes (an XPath and a regex per attribute, below): the shapes are a subset of what
# newsarchive.rng allows a change (the attribute values a subset of their datatypes, the
# contents a subset of the content models), and of the Schematron rules only three can
# apply to them (change[@target], *[@xml:lang], *[@who]): the shapes allow no xml:lang
# and no @who, and @target's first pointer is checked here as the rule checks it. When
# every item matches, they are set aside while RELAX NG and the Schematron check the rest
# (the first change of each log stays, so that the log itself is checked too): an element
# pattern does not depend on its siblings, so the rest valid + each item valid = the whole
# valid. When anything does not match, or the rest fails, the whole tree goes through both
# schemas as before: every problem is found and reported as it always was.
# tests/test_schema_rules.py pins the schema definitions this relies on.

_TEI_NS = {"t": "http://www.tei-c.org/ns/1.0"}
_LOGS = etree.XPath("/t:TEI/t:standOff/t:listChange", namespaces=_TEI_NS)
# The shapes, matched on lxml's serialisation of a whole listChange (one call and one
# linear regex, in C, rather than an XPath or a Python step per element): unprefixed, so in
# listChange's namespace, TEI; each change with only the attributes the writer writes, in
# its order; holding only segs (@type text|result, text only) and choices (orig then reg,
# text only, no attributes); XML white space only between the changes and inside a
# choice (element content). Attribute values are ASCII subsets of their datatypes:
# teidata.enumerated (token, [^\p{C}\p{Z}]+), ID (NCName), anyURI (a list of).
_S = "[ \t\r\n]*"  # XML white space, not \s (which takes U+3000 and other spaces)
_WORD = "[A-Za-z][A-Za-z0-9._-]*"
_SOURCE = "(?:[A-Za-z0-9._~-]|%[0-9A-F]{2})+#line=[0-9]+,[0-9]+"
_NAME = "[A-Za-z][A-Za-z0-9]*"
_RANGE = r"#string-range\({},[0-9]+,[0-9]+\)"
# one #id, or #string-range pointers; caught: the id the first names (all the rule checks)
_TARGET = re.compile(f"#({_NAME})|{_RANGE.format(f'({_NAME})')}(?: {_RANGE.format(_NAME)})*")
_SEG = '<seg type="(?:text|result)">[^<]*</seg>'
_CHOICE = f"<choice>{_S}<orig>[^<]*</orig>{_S}<reg>[^<]*</reg>{_S}</choice>"
_ITEM = (
    f'<change type="{_WORD}" subtype="{_WORD}" xml:id="e[0-9]+" n="[^"<]*"'
    f'(?: source="{_SOURCE}")?(?: cert="low")?(?: target="(?:{_TARGET.pattern})")?'
    f"(?:/>|>[^<]*(?:(?:{_SEG}|{_CHOICE})[^<]*)*</change>)"
)
_LOG = re.compile(f'<listChange xmlns="http://www.tei-c.org/ns/1.0"[^>]*>{_S}(?:{_ITEM}{_S})+'
                  "</listChange>")
_TARGETS = etree.XPath("/t:TEI/t:standOff/t:listChange/t:change/@target", namespaces=_TEI_NS,
                      smart_strings=False)
_ALL_IDS = etree.XPath("//@xml:id", smart_strings=False)  # plain strings: no parent links


def _set_aside_edit_log(tree: etree._ElementTree) -> list[tuple[etree._Element, list]] | None:
    """Take every change but the first out of each edit log when all of them have the
    writer's shapes and their @target points into the file; None (nothing taken) if not."""
    logs = [log for log in _LOGS(tree) if len(log) > 1]
    if not logs:
        return None
    for log in logs:
        if not _LOG.fullmatch(etree.tostring(log, encoding="unicode", with_tail=False)):
            return None
    pointed = []
    for target in _TARGETS(tree):
        m = _TARGET.fullmatch(target)
        if not m:
            return None
        pointed.append(m[1] or m[2])
    ids = _ALL_IDS(tree)
    known = set(ids)
    if len(known) != len(ids) or not known.issuperset(pointed):
        return None  # a repeated xml:id, or a pointer to nothing: the schemas say which
    kept = [(log, log[1:]) for log in logs]
    for log, _ in kept:
        del log[1:]
    return kept


# What the shapes were proven against: the definitions of the log's elements in
# newsarchive.rng (refs followed, documentation left out) and the whole newsarchive.sch.
# A schema that changes either turns the fast way off (every tree is checked whole) until
# the shapes are re-checked against it and these are updated (tests/test_schema_rules.py
# fails meanwhile).
SHAPES_CHECKED_AGAINST = (
    "7429546534d0a7068a1e3d3ce7a0a5234b7f3acf768a17ffaf5e41bf89555403",
    "ce5304bd5497a86c63a4a5fcf59e16ba57b90fdd23a86568c0d8dd5cb62e983f",
)
LOG_ELEMENTS = ("listChange", "change", "seg", "choice", "orig", "reg")


def schema_fingerprints() -> tuple[str, str]:
    """(the log's element definitions in newsarchive.rng, newsarchive.sch) as sha256."""
    grammar = _schema_file("newsarchive.rng").getroot()
    defines = {d.get("name"): d for d in grammar.iter(RNG + "define")}
    out: list[str] = []

    def walk(node: etree._Element, seen: frozenset[str]) -> None:
        if not isinstance(node.tag, str) or not node.tag.startswith(RNG):
            return  # documentation, annotations
        if node.tag == RNG + "element" and seen:
            out.append(f"element {node.get('name')}")  # a child element: its name only
            return
        if node.tag == RNG + "ref":
            name = node.get("name") or ""
            if name in seen:
                out.append(f"ref {name}")
                return
            seen = seen | {name}
            for child in defines.get(name, ()):
                walk(child, seen)
            return
        out.append(node.tag[len(RNG):] + repr(sorted(
            (k, v) for k, v in node.attrib.items() if not k.startswith("{"))))
        out.append(node.text.strip() if node.text else "")
        for child in node:
            walk(child, seen | {""})
        out.append("/")

    for element in grammar.iter(RNG + "element"):
        if element.get("name") in LOG_ELEMENTS:
            walk(element, frozenset())
    sch = resources.files("newsarchive").joinpath("data", "schemas", "newsarchive.sch")
    return (hashlib.sha256("\n".join(out).encode()).hexdigest(),
            hashlib.sha256(sch.read_bytes()).hexdigest())


@functools.cache
def _shapes_hold() -> bool:
    return schema_fingerprints() == SHAPES_CHECKED_AGAINST


def _valid_quickly(tree: etree._ElementTree) -> bool:
    """True if ``tree`` is valid against the project schemas, shown with the edit log's
    items set aside (see above); False: not shown, check the whole tree."""
    if not _shapes_hold():
        return False
    kept = _set_aside_edit_log(tree)
    if kept is None:
        return False
    try:
        return project_rng().validate(tree) and not _FAILURES(project_schematron()(tree))
    finally:
        for log, items in kept:
            log.extend(items)


def validate_tree(
    tree: etree._ElementTree | etree._Element,
    *,
    name: str = "<memory>",
    tei_all: bool = False,
    lines: list[bytes] | None = None,
) -> list[Problem]:
    """Validate a parsed or freshly built TEI tree (line numbers are 0 for built trees)."""
    if isinstance(tree, etree._Element):
        tree = etree.ElementTree(tree)
    if _valid_quickly(tree):
        problems = []
    else:
        problems = _rng_problems(project_rng(), tree, name, "newsarchive.rng", lines)
        problems += _schematron_problems(tree, name, lines)
    if tei_all:
        problems += _rng_problems(tei_all_rng(), tree, name, "tei_all", lines)
    return sorted(problems, key=lambda p: (p.line, p.col))


def _jing_batch(paths: list[Path], schema: Path, label: str) -> dict[Path, list[Problem]]:
    """One jing run per :data:`JING_BATCH` files; problems keyed by the resolved path.

    Only files the hardened parser accepted are given to jing (never a DOCTYPE or an
    entity: jing would expand them)."""
    jing = shutil.which("jing")
    assert jing is not None
    found: dict[Path, list[Problem]] = {p: [] for p in paths}
    by_text = sorted(((str(p), p) for p in paths), key=lambda t: -len(t[0]))
    for start in range(0, len(paths), JING_BATCH):
        chunk = paths[start : start + JING_BATCH]
        run = subprocess.run(
            [jing, str(schema), *map(str, chunk)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        seen = False
        for raw in run.stdout.splitlines():
            for text, path in by_text:  # longest first: a path may contain ":"
                m = re.match(rf"^{re.escape(text)}:(\d+):(\d+): (?:error|fatal): (.*)$", raw)
                if m:
                    found[path].append(Problem("", int(m[1]), int(m[2]), f"{label}: {m[3]}"))
                    seen = True
                    break
        if run.returncode and not seen:
            cause = f"{label}: jing failed: {run.stderr.strip()[-300:]}"
            for path in chunk:
                found[path].append(Problem("", 0, 0, cause))
    return found


def _parse_source(
    data: bytes, label: str, max_bytes: int = MAX_BYTES
) -> etree._ElementTree | Problem:
    try:
        return parse_xml(data, label, max_bytes=max_bytes)
    except InputError as exc:
        m = _POSITION.match(exc.cause)
        if m:
            return Problem(label, int(m[1]), int(m[2]), m[3])
        return Problem(label, 0, 0, exc.cause)


def validate_files(
    files: list[str] | list[Path] | list[os.PathLike[str]],
    *,
    tei_all: bool = False,
    jing: bool = True,
) -> dict[str, list[Problem]]:
    """Problems of each file, in the order given (an empty list means valid).

    One process for the whole batch: the project schema is compiled once; with
    ``tei_all`` every well-formed file goes to one jing run (``jing=False`` or no jing
    installed: lxml's tei_all, compiled once). An unreadable file is one problem."""
    results: dict[str, list[Problem]] = {}
    parsed: dict[str, tuple[Path, etree._ElementTree, list[bytes]]] = {}
    for source in files:
        label = str(source)
        try:  # regular files only, bounded: a FIFO or /dev/zero is refused, not read for ever
            data = read_regular(source, MAX_BYTES)
        except InputError as exc:
            results[label] = [Problem(label, 0, 0, exc.cause)]
            continue
        tree = _parse_source(data, label)
        if isinstance(tree, Problem):
            results[label] = [tree]
            continue
        lines = data.split(b"\n")
        results[label] = validate_tree(tree, name=label, lines=lines)
        parsed[label] = (Path(source).resolve(), tree, lines)
    if tei_all and parsed:
        if jing and shutil.which("jing"):
            found = _jing_batch([p for p, _, _ in parsed.values()], tei_all_path(), "tei_all")
            for label, (path, _, _) in parsed.items():
                results[label] += [Problem(label, p.line, p.col, p.message) for p in found[path]]
        else:
            schema = tei_all_rng()
            for label, (_, tree, lines) in parsed.items():
                results[label] += _rng_problems(schema, tree, label, "tei_all", lines)
    for label in results:
        results[label].sort(key=lambda p: (p.line, p.col))
    return results


def validate_tei(
    source: bytes | str | os.PathLike[str],
    *,
    tei_all: bool = False,
    name: str | None = None,
    max_bytes: int = MAX_BYTES,
) -> list[Problem]:
    """Problems of a TEI file (path) or of TEI bytes; an empty list means valid.

    Always the project schema (RELAX NG + Schematron, lxml); ``tei_all=True`` adds the TEI
    P5 tei_all schema (lxml; see :func:`validate_files` for batches and jing).
    Malformed or hostile XML (DOCTYPE, entities, excessive depth) is one problem, not an
    exception; an unreadable path raises :class:`InputError`.
    """
    if isinstance(source, bytes):
        data, label = source, name or "<bytes>"
    else:
        path = Path(source)
        label = name or str(path)
        data = read_regular(path, max_bytes)
    tree = _parse_source(data, label, max_bytes)
    if isinstance(tree, Problem):
        return [tree]
    return validate_tree(tree, name=label, tei_all=tei_all, lines=data.split(b"\n"))


def check_tei(data: bytes, name: str, built: etree._Element | None = None) -> None:
    """Raise :class:`ValidationError` listing every problem unless ``data`` is valid
    against the project schemas (for convert, on every output before it is written).

    ``built`` is the tree ``data`` was serialised from a moment ago (pipeline.render): it
    is checked instead of a parse of the bytes (~1 ms an edition) when that cannot come to
    another verdict (:func:`_valid_as_built`). Whenever it is not shown valid, the bytes
    are parsed and checked whole, as without it, so every problem is reported with the
    same message and line."""
    if built is not None and _valid_as_built(built, data):
        return
    # An edition we wrote, already in memory: the limit on files from outside does not
    # apply (an input within --max-size makes an edition several times its size).
    problems = validate_tei(data, name=name, max_bytes=max(MAX_BYTES, len(data)))
    if problems:
        details = "; ".join(f"line {p.line}: {p.message}" for p in problems[:3])
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        raise ValidationError(f"the TEI edition does not validate: {details}{more}", name)


def _valid_as_built(root: etree._Element, data: bytes) -> bool:
    """True when ``root``, the tree lxml serialised as ``data``, is valid, and a parse of
    ``data`` would be too. The parse gives the same elements, attributes and text (lxml
    escapes what it writes: ``&``, ``<``, a ``\r``, an attribute's tab or line break; it
    refuses, when the tree is built, what XML cannot hold) plus pretty-printing's white
    space, which lands only between elements of an element that holds no text: RELAX NG
    ignores white space there, and every Schematron test on text goes through
    normalize-space() or is on an element without element children. What the hardened
    parser refuses before any schema (a DOCTYPE or ENTITY declaration in the bytes,
    elements nested too deep) sends the bytes the whole way, where it is reported."""
    if any(marker in data for marker in _DTD_MARKERS) or _TOO_DEEP(root):
        return False
    return _valid_quickly(etree.ElementTree(root))
