"""Compile schemas/newsarchive.odd into RELAX NG + ISO Schematron, by deletion from tei_all.

Why our own compiler: the TEI Stylesheets (odd2rng) and the P5 source (p5subset.xml) are
not in the package registries this project can use. This compiler is deliberately small
and only ever *removes* from the official ``tei_all.rng``, so the result is a strict
subset of tei_all by construction — every operation below narrows the language:

* ``moduleRef/@include`` lists the elements kept; every other ``element`` pattern becomes
  ``notAllowed`` (``elementSpec mode="delete"`` removes one more);
* ``classSpec type="atts" mode="delete"`` and ``attDef mode="delete"`` turn the
  ``attribute`` patterns concerned into ``notAllowed`` (an optional attribute disappears,
  a required one makes its element impossible — never anything wider);
* ``valList type="closed"`` on an ``attDef`` replaces the attribute's content by a choice
  of the listed values, after checking each value against the original content pattern
  (so the choice accepts nothing the original refused);
* ``datatype`` on an ``attDef`` (``dataRef`` with facets, or embedded RELAX NG ``data``
  patterns) replaces the content by XSD datatypes with facets, each of a type the original
  content already offers as a plain alternative (a facet only narrows a type);
* ``schemaSpec/@start`` keeps one start element.

Then ``notAllowed`` is propagated (RELAX NG simplification rules, which preserve the
language) and unreachable definitions are dropped. The module keys of ``moduleRef`` are
documentation only: tei_all.rng does not record which module an element comes from.
``constraintSpec[@scheme='schematron']`` rules are collected into the Schematron file
(XPath 1, for lxml; an ``xsl:key`` in a constraint goes to the top of the schema, where ISO
Schematron's XSLT binding allows it); TEI's own embedded XPath 2 rules are not carried over.

A changed attribute carries the wording ``validate`` prints when a value is refused: its
``attDef/desc`` (else "one of …" for a closed list), as the annotation ``odd:message`` on
the RELAX NG ``attribute`` (libxml2 itself only says "Invalid attribute when").

Usage: ``python scripts/odd2rng.py`` (writes the package copies) or ``--check`` (exit 1 when
the shipped files differ from a fresh compilation).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import re
import sys
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
ODD = ROOT / "schemas" / "newsarchive.odd"
TEI_ALL = ROOT / "schemas" / "tei_all.rng"
OUT = ROOT / "src" / "newsarchive" / "data" / "schemas"
RNG_NS = "http://relaxng.org/ns/structure/1.0"
TEI_NS = "http://www.tei-c.org/ns/1.0"
SCH_NS = "http://purl.oclc.org/dsdl/schematron"
A_NS = "http://relaxng.org/ns/compatibility/annotations/1.0"
XSD = "http://www.w3.org/2001/XMLSchema-datatypes"
XSL_NS = "http://www.w3.org/1999/XSL/Transform"
# Annotation namespace of this compiler: odd:message on a changed attribute pattern.
ODD_MSG_NS = "urn:x-newsarchive:odd2rng"
ODD_MESSAGE = f"{{{ODD_MSG_NS}}}message"
R = f"{{{RNG_NS}}}"
T = {"t": TEI_NS, "sch": SCH_NS, "xsl": XSL_NS, "rng": RNG_NS}


class OddError(Exception):
    pass


def _rng(tag: str, **attrs: str) -> etree._Element:
    el = etree.Element(R + tag)
    for k, v in attrs.items():
        el.set(k, v)
    return el


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _is_rng(el: etree._Element) -> bool:
    return isinstance(el.tag, str) and el.tag.startswith(R)


def _replace(old: etree._Element, new: etree._Element) -> None:
    new.tail = old.tail
    old.getparent().replace(old, new)


class Grammar:
    def __init__(self, tree: etree._ElementTree) -> None:
        self.root = tree.getroot()
        self.defines = {d.get("name"): d for d in self.root.findall(R + "define")}

    def define(self, name: str) -> etree._Element:
        if name not in self.defines:
            raise OddError(f"tei_all has no definition {name!r}")
        return self.defines[name]

    # ---------- deletion ----------

    def keep_elements(self, kept: set[str]) -> None:
        names = {e.get("name") for e in self.root.iter(R + "element")}
        unknown = kept - names
        if unknown:
            raise OddError(f"not TEI elements: {', '.join(sorted(unknown))}")
        for el in list(self.root.iter(R + "element")):
            if el.get("name") not in kept:  # includes name-class wildcards (no @name)
                _replace(el, _rng("notAllowed"))

    def class_defines(self, cls: str) -> list[etree._Element]:
        found = [d for n, d in self.defines.items() if n == f"{cls}.attributes"]
        found += [d for n, d in self.defines.items() if n.startswith(f"{cls}.attribute.")]
        if not found:
            raise OddError(f"tei_all has no attribute class {cls!r}")
        return found

    @staticmethod
    def _own_attributes(scope: etree._Element, name: str | None) -> list[etree._Element]:
        """attribute patterns in ``scope`` itself (not behind a ref, not in child elements)."""
        out = []
        stack = list(scope)
        while stack:
            el = stack.pop()
            if not _is_rng(el) or _local(el) in ("element", "ref"):
                continue
            if _local(el) == "attribute":
                if name is None or el.get("name") == name:
                    out.append(el)
                continue
            stack.extend(el)
        return out

    def delete_class(self, cls: str) -> None:
        for d in self.class_defines(cls):
            for att in self._own_attributes(d, None):
                _replace(att, _rng("notAllowed"))

    def class_attribute(self, cls: str, name: str) -> list[etree._Element]:
        atts = [a for d in self.class_defines(cls) for a in self._own_attributes(d, name)]
        if not atts:
            raise OddError(f"class {cls} has no attribute {name!r}")
        return atts

    def element_attribute(self, element: str, name: str) -> list[etree._Element]:
        """The attribute patterns ``name`` of ``element``; attribute-class refs of the
        element are first copied into it ("localised") so a change stays local."""
        el = self.define(element).find(R + "element")
        if el is None:
            raise OddError(f"{element!r} is not a kept TEI element")
        self._localise(el)
        atts = self._own_attributes(el, name)
        if not atts:
            raise OddError(f"element {element} has no attribute {name!r}")
        return atts

    def _localise(self, el: etree._Element) -> None:
        while True:
            refs = [
                r
                for r in el.iter(R + "ref")
                if r.get("name", "").startswith("att.")
                and next(r.iterancestors(R + "element")) is el
            ]
            if not refs:
                return
            for ref in refs:
                group = _rng("group")
                group.extend(copy.deepcopy(list(self.define(ref.get("name")))))
                _replace(ref, group)

    # ---------- narrowing ----------

    def reachable_copy(self, patterns: list[etree._Element]) -> dict[str, etree._Element]:
        needed: dict[str, etree._Element] = {}
        stack = [r.get("name") for p in patterns for r in p.iter(R + "ref")]
        while stack:
            name = stack.pop()
            if name in needed:
                continue
            needed[name] = self.define(name)
            stack += [r.get("name") for r in needed[name].iter(R + "ref")]
        return needed

    def close_values(self, atts: list[etree._Element], values: list[str], where: str) -> None:
        for att in atts:
            content = [c for c in att if _is_rng(c)]
            _check_values(self, content, values, f"{where}/@{att.get('name')}")
            for c in content:
                att.remove(c)
            choice = _rng("choice")
            for v in values:
                value = _rng("value", type="token", datatypeLibrary=XSD)
                value.text = v
                choice.append(value)
            att.append(choice)

    def restrict_data(self, atts: list[etree._Element], data: list[etree._Element], where: str
                      ) -> None:
        """Replace each attribute's content by ``data`` (RELAX NG ``data`` patterns), after
        checking that every one narrows a plain alternative of the original content."""
        for att in atts:
            content = [c for c in att if _is_rng(c)]
            offered = {
                d.get("type")
                for d in _alternatives(content)
                if _local(d) == "data" and not len(d) and _library(d) == XSD
            }
            for d in data:
                if d.get("type") not in offered:
                    raise OddError(
                        f"{where}/@{att.get('name')}: datatype {d.get('type')!r} is not a plain "
                        f"alternative of tei_all's content ({', '.join(sorted(offered)) or 'none'})"
                    )
            for c in content:
                att.remove(c)
            if len(data) == 1:
                att.append(copy.deepcopy(data[0]))
            else:
                choice = _rng("choice")
                choice.extend(copy.deepcopy(data))
                att.append(choice)


def _alternatives(content: list[etree._Element]) -> list[etree._Element]:
    """The branches of a content pattern (nested choices flattened)."""
    out: list[etree._Element] = []
    for c in content:
        if _local(c) == "choice":
            out += _alternatives([k for k in c if _is_rng(k)])
        else:
            out.append(c)
    return out


def _library(el: etree._Element) -> str:
    for node in (el, *el.iterancestors()):
        if node.get("datatypeLibrary") is not None:
            return node.get("datatypeLibrary") or ""
    return ""


def _check_values(g: Grammar, content: list[etree._Element], values: list[str], where: str
                  ) -> None:
    """Refuse a closed value the original attribute content does not accept."""
    grammar = _rng("grammar", ns="", datatypeLibrary=XSD)
    start = etree.SubElement(grammar, R + "start")
    probe = etree.SubElement(start, R + "element", name="probe")
    body = etree.SubElement(probe, R + "element", name="v")
    body.extend(copy.deepcopy(content))
    for d in g.reachable_copy(content).values():
        grammar.append(copy.deepcopy(d))
    schema = etree.RelaxNG(grammar)
    for v in values:
        doc = etree.Element("probe")
        etree.SubElement(doc, "v").text = v
        if not schema.validate(doc):
            raise OddError(f"{where}: value {v!r} is not allowed by tei_all")


# ---------- simplification (language-preserving) ----------

_CONTAINERS = ("group", "interleave", "oneOrMore", "zeroOrMore", "optional", "list", "mixed",
               "define", "start", "element", "attribute", "choice")


def _pattern_children(el: etree._Element) -> list[etree._Element]:
    kids = [c for c in el if _is_rng(c)]
    if _local(el) in ("element", "attribute") and el.get("name") is None:
        kids = kids[1:]  # the name class
    return kids


def _simplify(el: etree._Element, dead: set[str], empty: set[str]) -> str:
    """Simplify ``el`` in place; return "notAllowed", "empty" or "" (something else).

    ``dead``/``empty``: definitions known to be notAllowed / to match only the empty
    sequence. Only RELAX NG's own equivalences are used (choice without its notAllowed
    branches, a group holding notAllowed is notAllowed, optional(notAllowed) = empty, an
    empty item of a sequence can go), so the language never changes."""
    tag = _local(el)
    if tag in ("notAllowed", "empty"):
        return tag
    if tag == "ref":
        name = el.get("name")
        return "notAllowed" if name in dead else "empty" if name in empty else ""
    if tag not in _CONTAINERS:
        return ""
    states = {}
    for child in _pattern_children(el):
        state = _simplify(child, dead, empty)
        if state == "notAllowed" and tag == "choice":
            el.remove(child)
            continue
        states[child] = state
    if tag == "choice":
        if not states:
            return "notAllowed"
        return ""
    if "notAllowed" in states.values():
        if tag in ("zeroOrMore", "optional"):
            for c in _pattern_children(el):
                el.remove(c)
            el.append(_rng("empty"))
            return "empty"
        return "notAllowed"
    if tag == "attribute":
        return ""
    # items of a sequence (explicit or implicit group) that match only "empty" can go
    rest = [c for c, s in states.items() if s != "empty"]
    for c, s in states.items():
        if s == "empty":
            el.remove(c)
    if not rest:
        el.append(_rng("empty"))
        return "" if tag in ("element", "list") else "empty"
    return ""


def _reachable(g: Grammar, start: str) -> set[str]:
    reachable = {start}
    stack = [start]
    while stack:
        for ref in g.defines[stack.pop()].iter(R + "ref"):
            if ref.get("name") not in reachable:
                reachable.add(ref.get("name"))
                stack.append(ref.get("name"))
    return reachable


def simplify(g: Grammar, start: str) -> None:
    start_el = g.root.find(R + "start")
    for c in list(start_el):
        start_el.remove(c)
    etree.SubElement(start_el, R + "ref", name=start)
    # TEI's embedded Schematron needs XPath 2; ours is in the constraintSpecs
    for el in list(g.root.iter(f"{{{SCH_NS}}}pattern")):
        el.getparent().remove(el)
    dead: set[str] = set()
    empty: set[str] = set()
    while True:
        states = {n: _simplify(d, dead, empty) for n, d in g.defines.items()}
        new_dead = {n for n, s in states.items() if s == "notAllowed"} - dead
        new_empty = {n for n, s in states.items() if s == "empty"} - empty
        if not new_dead and not new_empty:
            break
        dead |= new_dead
        empty |= new_empty
    if start in dead:
        raise OddError(f"the start element {start} has become impossible")
    for name in sorted(set(g.defines) - _reachable(g, start)):
        g.root.remove(g.defines.pop(name))
    for ref in g.root.iter(R + "ref"):
        if ref.get("name") in dead | empty:
            raise OddError(f"unsimplified ref {ref.get('name')}")
    # a group or choice of one pattern is that pattern (libxml2 hangs on some of them)
    for el in list(g.root.iter(R + "group", R + "choice")):
        kids = [c for c in el if _is_rng(c)]
        if len(kids) == 1:
            el.getparent().replace(el, kids[0])
    _strip_layout(g.root)


def _strip_layout(root: etree._Element) -> None:
    """Drop whitespace-only text so pretty-printing lays the file out afresh."""
    for el in root.iter():
        if isinstance(el.tag, str) and el.text is not None and not el.text.strip():
            el.text = None
        if el.tail is not None and not el.tail.strip():
            el.tail = None


# ---------- the ODD ----------


def _tokens(value: str | None) -> list[str]:
    return (value or "").split()


def compile_odd(odd_path: Path = ODD, tei_all: Path = TEI_ALL) -> tuple[bytes, bytes]:
    odd = etree.parse(str(odd_path))
    specs = odd.xpath("//t:schemaSpec", namespaces=T)
    if len(specs) != 1:
        raise OddError("the ODD must hold exactly one schemaSpec")
    spec = specs[0]
    g = Grammar(etree.parse(str(tei_all)))
    kept: set[str] = set()
    for mref in spec.xpath("t:moduleRef", namespaces=T):
        if mref.get("key") == "tei":
            continue  # datatypes and classes: nothing to keep or delete by name
        if not mref.get("include"):
            raise OddError(f"moduleRef key={mref.get('key')}: list the elements in @include")
        kept |= set(_tokens(mref.get("include")))
    for es in spec.xpath("t:elementSpec[@mode='delete']", namespaces=T):
        kept.discard(es.get("ident"))
    g.keep_elements(kept)
    for cs in spec.xpath("t:classSpec[@type='atts']", namespaces=T):
        cls, mode = cs.get("ident"), cs.get("mode")
        if mode == "delete":
            g.delete_class(cls)
            continue
        for ad in cs.xpath("t:attList/t:attDef", namespaces=T):
            atts = g.class_attribute(cls, ad.get("ident"))
            _att_def(g, ad, atts, cls)
    for es in spec.xpath("t:elementSpec[@mode='change']", namespaces=T):
        if es.get("ident") not in kept:
            raise OddError(f"elementSpec {es.get('ident')} changes an element not kept")
        for ad in es.xpath("t:attList/t:attDef", namespaces=T):
            atts = g.element_attribute(es.get("ident"), ad.get("ident"))
            _att_def(g, ad, atts, es.get("ident"))
    simplify(g, spec.get("start", "TEI"))
    # one declaration of the annotation prefix, at the top (not one per attribute)
    etree.cleanup_namespaces(g.root, top_nsmap={"odd": ODD_MSG_NS})
    digest = hashlib.sha256(tei_all.read_bytes()).hexdigest()
    note = (
        f" Generated by scripts/odd2rng.py from schemas/{odd_path.name} and tei_all.rng "
        f"(sha256 {digest}) by deletion only: a strict subset of tei_all. Do not edit. "
    )
    g.root.insert(0, etree.Comment(note))
    rng = etree.tostring(g.root.getroottree(), xml_declaration=True, encoding="UTF-8",
                         pretty_print=True)
    return rng, _schematron(spec, odd_path.name)


def _att_def(g: Grammar, ad: etree._Element, atts: list[etree._Element], where: str) -> None:
    mode = ad.get("mode", "change")
    if mode == "delete":
        for att in atts:
            _replace(att, _rng("notAllowed"))
        return
    if mode != "change":
        raise OddError(f"{where}/@{ad.get('ident')}: only mode delete|change is supported")
    desc = " ".join(ad.xpath("string(t:desc)", namespaces=T).split())
    datatype = ad.find(f"{{{TEI_NS}}}datatype")
    if datatype is not None:
        g.restrict_data(atts, _data_patterns(datatype, f"{where}/@{ad.get('ident')}"), where)
    else:
        vl = ad.find(f"{{{TEI_NS}}}valList")
        if vl is None or vl.get("type") != "closed":
            raise OddError(
                f"{where}/@{ad.get('ident')}: a change must give a closed valList or a datatype"
            )
        values = [v.get("ident") for v in vl.findall(f"{{{TEI_NS}}}valItem")]
        g.close_values(atts, values, where)
        desc = desc or f"must be one of {', '.join(values)}"
    if not desc:
        raise OddError(f"{where}/@{ad.get('ident')}: a datatype change needs a desc (the message)")
    for att in atts:
        att.set(ODD_MESSAGE, desc)


def _data_patterns(datatype: etree._Element, where: str) -> list[etree._Element]:
    """``datatype``'s content as RELAX NG ``data`` patterns: a TEI ``dataRef`` (@name an XSD
    type, @restriction a pattern, ``dataFacet`` children) or embedded ``rng:data``, alone
    or in one ``rng:choice``."""
    found: list[etree._Element] = []
    for child in datatype:
        if not isinstance(child.tag, str):
            continue
        if child.tag == f"{{{TEI_NS}}}dataRef":
            if not child.get("name"):
                raise OddError(f"{where}: dataRef needs @name (an XSD datatype)")
            data = _rng("data", type=child.get("name"), datatypeLibrary=XSD)
            facets = [("pattern", child.get("restriction"))] if child.get("restriction") else []
            facets += [(f.get("name"), f.get("value"))
                       for f in child.findall(f"{{{TEI_NS}}}dataFacet")]
            for name, value in facets:
                param = etree.SubElement(data, R + "param", name=name or "")
                param.text = value
            found.append(data)
        elif child.tag in (R + "data", R + "choice"):
            for d in [child] if child.tag == R + "data" else list(child):
                if not isinstance(d.tag, str):
                    continue
                if d.tag != R + "data" or any(_local(p) != "param" for p in d if _is_rng(p)):
                    raise OddError(f"{where}: only data patterns with params are supported")
                copied = _rng("data", type=d.get("type", ""), datatypeLibrary=XSD)
                for p in d.findall(R + "param"):
                    etree.SubElement(copied, R + "param", name=p.get("name", "")).text = p.text
                found.append(copied)
        else:
            raise OddError(f"{where}: unsupported datatype content {etree.QName(child).localname}")
    if not found:
        raise OddError(f"{where}: empty datatype")
    return found


def _schematron(spec: etree._Element, odd_name: str) -> bytes:
    S = f"{{{SCH_NS}}}"
    schema = etree.Element(S + "schema", nsmap={None: SCH_NS}, queryBinding="xslt")
    schema.append(etree.Comment(
        f" Generated by scripts/odd2rng.py from the constraintSpecs of schemas/{odd_name}. "
        "XPath 1 (lxml's isoschematron). Do not edit. "))
    title = etree.SubElement(schema, S + "title")
    title.text = "newsarchive customisation of TEI P5: rules RELAX NG cannot express"
    etree.SubElement(schema, S + "ns", prefix="tei", uri=TEI_NS)
    keys: dict[str, dict[str, str]] = {}
    for key in spec.xpath(".//t:constraintSpec[@scheme='schematron']/t:constraint/xsl:key",
                          namespaces=T):
        name, attrs = key.get("name", ""), dict(key.attrib)
        if name in keys:  # several constraints may share one key: it is declared once
            if keys[name] != attrs:
                raise OddError(f"two different xsl:key named {name!r}")
            continue
        keys[name] = attrs
        plain = etree.SubElement(schema, f"{{{XSL_NS}}}key")
        for k, v in attrs.items():
            plain.set(k, v)
    for cs in spec.xpath(".//t:constraintSpec[@scheme='schematron']", namespaces=T):
        pattern = etree.SubElement(schema, S + "pattern", id=cs.get("ident"))
        # pattern-level lets are computed once per document, not once per node
        for rule in cs.xpath("t:constraint/sch:let | t:constraint/sch:rule", namespaces=T):
            pattern.append(copy.deepcopy(rule))
        if not pattern.findall(S + "rule"):
            raise OddError(f"constraintSpec {cs.get('ident')} has no sch:rule")
    etree.cleanup_namespaces(schema, top_nsmap={None: SCH_NS, "xsl": XSL_NS})
    _strip_layout(schema)
    data = etree.tostring(schema, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return re.sub(rb"\s+xmlns:(tei|rng|a)=\"[^\"]+\"", b"", data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped files")
    parser.add_argument("--out", type=Path, default=OUT, help="folder to write to")
    args = parser.parse_args(argv)
    try:
        rng, sch = compile_odd()
    except OddError as exc:
        print(f"{ODD}: {exc}", file=sys.stderr)
        return 2
    outputs = {args.out / "newsarchive.rng": rng, args.out / "newsarchive.sch": sch}
    if args.check:
        stale = [p for p, data in outputs.items() if not p.is_file() or p.read_bytes() != data]
        for p in stale:
            print(f"{p}: differs from a fresh compilation of {ODD.name}", file=sys.stderr)
        return 1 if stale else 0
    for path, data in outputs.items():
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        print(f"{path}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
