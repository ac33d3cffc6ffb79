"""PREMIS 3.0 XML from an object's provenance record: one ``file`` object per stored file
(PRONOM format, SHA-256 and SHA-512 fixity, size, original name, derivation from the
source), the record's events, and the agents (this software, the depositing person).

Deterministic like the record it derives from (no time but the record's), so an unchanged
article gives the same bytes. Element order follows premis.xsd v3.0 (object+, event*,
agent*; inside each, the sequence the schema prescribes)."""

from __future__ import annotations

from typing import Any

from lxml import etree

NS = "http://www.loc.gov/premis/v3"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{NS} https://www.loc.gov/standards/premis/v3/premis.xsd"
PREMIS = "metadata/premis.xml"
_ID_TYPE = "local"


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> Any:
    child = etree.SubElement(parent, f"{{{NS}}}{tag}", attrs)
    if text is not None:
        child.text = text
    return child


def _identifier(parent: etree._Element, tag: str, value: str, prefix: str) -> None:
    ident = _el(parent, tag)
    _el(ident, f"{prefix}Type", _ID_TYPE)
    _el(ident, f"{prefix}Value", value)


def software_agent_id(record: dict[str, Any]) -> str:
    agent = record.get("agent") or {}
    return f"{agent.get('name', 'newsarchive')}/{agent.get('version', '')}"


class Premis:
    """A PREMIS document being built from one or more provenance records."""

    def __init__(self) -> None:
        self.objects: list[etree._Element] = []
        self.events: list[etree._Element] = []
        self.agents: dict[str, etree._Element] = {}

    def add(self, record: dict[str, Any], prefix: str = "") -> None:
        """One record's files, events and agent (``prefix`` goes before every file
        identifier: the object's folder in a bag)."""
        oid = str(record.get("object_id", ""))
        source_info = record.get("source") or {}
        source = source_info.get("path", "")
        events: list[dict[str, Any]] = record.get("events") or []
        event_ids = [f"{oid}/event/{n}" for n in range(1, len(events) + 1)]
        software = software_agent_id(record)
        made_by: dict[str, list[str]] = {}
        for event, eid in zip(events, event_ids, strict=True):
            for key in ("outcome_object", "source"):
                if event.get(key):
                    made_by.setdefault(event[key], []).append(eid)
        for path, entry in sorted((record.get("files") or {}).items()):
            self.objects.append(
                self._object(prefix, path, entry, software, source, source_info, made_by)
            )
        for event, eid in zip(events, event_ids, strict=True):
            self.events.append(self._event(prefix, event, eid, software))
        if software not in self.agents:
            self.agents[software] = self._agent(record.get("agent") or {}, software)

    @staticmethod
    def _object(
        prefix: str,
        path: str,
        entry: dict[str, Any],
        software: str,
        source: str,
        source_info: dict[str, Any],
        made_by: dict[str, list[str]],
    ) -> etree._Element:
        obj = etree.Element(f"{{{NS}}}object")
        obj.set(f"{{{XSI}}}type", "premis:file")
        _identifier(obj, "objectIdentifier", prefix + path, "objectIdentifier")
        chars = _el(obj, "objectCharacteristics")
        _el(chars, "compositionLevel", "0")
        for algorithm, key in (("SHA-256", "sha256"), ("SHA-512", "sha512")):
            fixity = _el(chars, "fixity")
            _el(fixity, "messageDigestAlgorithm", algorithm)
            _el(fixity, "messageDigest", str(entry.get(key, "")))
            _el(fixity, "messageDigestOriginator", software)
        _el(chars, "size", str(entry.get("size", 0)))
        fmt = entry.get("format") or {}
        fmt_el = _el(chars, "format")
        designation = _el(fmt_el, "formatDesignation")
        _el(designation, "formatName", fmt.get("name") or fmt.get("media_type") or "unknown")
        if fmt.get("version"):
            _el(designation, "formatVersion", fmt["version"])
        if fmt.get("puid"):
            registry = _el(fmt_el, "formatRegistry")
            _el(registry, "formatRegistryName", "PRONOM")
            _el(registry, "formatRegistryKey", fmt["puid"])
            _el(registry, "formatRegistryRole", "specification")
        if path == source:
            names = source_info.get("names") or [source_info.get("name") or path]
            _el(obj, "originalName", str(names[0]))
        elif source and not path.startswith(("source/", "corrections/")):
            rel = _el(obj, "relationship")
            _el(rel, "relationshipType", "derivation")
            _el(rel, "relationshipSubType", "has source")
            _identifier(rel, "relatedObjectIdentifier", prefix + source, "relatedObjectIdentifier")
        for eid in made_by.get(path, []):
            _identifier(obj, "linkingEventIdentifier", eid, "linkingEventIdentifier")
        return obj

    @staticmethod
    def _event(prefix: str, event: dict[str, Any], eid: str, software: str) -> etree._Element:
        ev = etree.Element(f"{{{NS}}}event")
        _identifier(ev, "eventIdentifier", eid, "eventIdentifier")
        _el(ev, "eventType", str(event.get("type", "")))
        _el(ev, "eventDateTime", str(event.get("date_time", "")))
        if event.get("detail"):
            _el(_el(ev, "eventDetailInformation"), "eventDetail", str(event["detail"]))
        _el(_el(ev, "eventOutcomeInformation"), "eventOutcome", str(event.get("outcome", "")))
        agent = _el(ev, "linkingAgentIdentifier")
        _el(agent, "linkingAgentIdentifierType", _ID_TYPE)
        _el(agent, "linkingAgentIdentifierValue", software)
        _el(agent, "linkingAgentRole", "executing program")
        for key, role in (("source", "source"), ("outcome_object", "outcome")):
            if event.get(key):
                link = _el(ev, "linkingObjectIdentifier")
                _el(link, "linkingObjectIdentifierType", _ID_TYPE)
                _el(link, "linkingObjectIdentifierValue", prefix + event[key])
                _el(link, "linkingObjectRole", role)
        return ev

    @staticmethod
    def _agent(info: dict[str, Any], software: str) -> etree._Element:
        agent = etree.Element(f"{{{NS}}}agent")
        _identifier(agent, "agentIdentifier", software, "agentIdentifier")
        _el(agent, "agentName", str(info.get("name", "newsarchive")))
        _el(agent, "agentType", "software")
        _el(agent, "agentVersion", str(info.get("version", "")))
        libraries = info.get("libraries") or {}
        if libraries:
            note = ", ".join(f"{k} {v}" for k, v in sorted(libraries.items()))
            _el(agent, "agentNote", "libraries: " + note)
        return agent

    def to_bytes(self) -> bytes:
        root = etree.Element(f"{{{NS}}}premis", nsmap={"premis": NS, "xsi": XSI}, version="3.0")
        root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
        root.extend([*self.objects, *self.events, *self.agents.values()])
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def premis_xml(record: dict[str, Any]) -> bytes:
    doc = Premis()
    doc.add(record)
    return doc.to_bytes()
