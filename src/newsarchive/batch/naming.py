"""Which input owns which edition names in an output folder.

The parent decides, before any worker starts, from two things it alone holds: the run's
whole input list (before ``--shard`` splits it, so the shards of one job agree) and the
state files of earlier runs. Workers only apply the answer, so two inputs converted at the
same moment by two workers cannot both take a name: there is nothing to race for.

An edition *slot* is an output path under ``-o`` without its format suffix
(``2024/x-1`` for ``2024/x-1.tei.xml``, ``.docx``, ``.pdf``). The rules:

- an input's own stem is its own: ``x-1.txt`` owns ``x-1`` whatever its story count, so a
  page of several stories ``x.txt`` whose ``x-1`` would land on it is refused, in either
  order and whether ``x-1.txt`` has one story or three;
- two inputs of one run with the same stem in one folder (``a.txt`` and ``a.xml``): the one
  the state file gives the slot to keeps it, else the first by path; the other is refused;
- a slot an earlier run recorded for another input stays that input's while the input is
  in this run or any of its editions under that slot still exist; with two records for one
  slot (an overwrite before ownership was kept), the newest is the owner;
- an input is identified by its resolved path (``os.path.realpath``): the same file named
  through another path or a symlink is the same input; another file with the same name
  and place under ``-o`` (``d1/a.txt`` after ``d2/a.txt``) is another input.
"""

from __future__ import annotations

import functools
import os
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from newsarchive.batch.inputs import STDIN, Input
from newsarchive.pipeline import FORMATS, STEM_SUFFIXES, input_stem

if TYPE_CHECKING:
    from newsarchive.batch.task import Previous

_SUFFIXES = tuple(FORMATS.values())
# The story number render_all appends (``x-1``): no leading zero, so ``x-01`` is no story.
_NUMBERED = re.compile(r"^(.+)-[1-9][0-9]*$", re.DOTALL)


def output_slot(rel: str) -> str:
    """``a/x-1.tei.xml`` -> ``a/x-1``: the edition name without its format."""
    for suffix in _SUFFIXES:
        if rel.endswith(suffix):
            return rel[: -len(suffix)]
    return rel


def input_slot(item: Input) -> str:
    """The slot of an input's single-story editions: where its outputs go, its stem."""
    return (item.relative_dir / input_stem(item.name)).as_posix()


def in_namespace(slot: str, own: str) -> bool:
    """Whether ``slot`` is a name an input of slot ``own`` makes: ``own`` or ``own-N``."""
    number = slot[len(own) + 1 :] if slot.startswith(own + "-") else ""
    return slot == own or (number.isascii() and number.isdigit() and number[0] != "0")


def source_of(item: Input) -> str:
    """The input's identity in the state file: its resolved path (a web archive's record:
    the archive's, with the record's number)."""
    if item.path == STDIN:
        return ""
    # One realpath per folder, one lstat per file: 100k inputs in a few folders stay cheap.
    if os.path.islink(item.path):
        source = os.path.realpath(item.path)
    else:
        folder, name = os.path.split(item.path)
        source = os.path.join(_real_folder(folder, os.getcwd() if not folder.startswith("/")
                                           else ""), name)
    return f"{source}#{item.index}" if item.record is not None else source


@functools.lru_cache(maxsize=4096)
def _real_folder(folder: str, cwd: str) -> str:
    return os.path.realpath(os.path.join(cwd, folder))


def _numbered_base(slot: str) -> str | None:
    match = _NUMBERED.match(slot)
    return match.group(1) if match else None


def _slot_and_key(item: Input) -> tuple[str, str]:
    """(:func:`input_slot`, ``item.key``) by string operations: a run may plan 100k inputs,
    and pathlib made that seconds."""
    rel = item.relative_dir.as_posix()
    prefix = "" if rel == "." else rel + "/"
    name = item.name if item.record is not None or item.path == STDIN else os.path.basename(
        item.path)
    lower, stem = name.lower(), name
    for suffix in STEM_SUFFIXES:
        if lower.endswith(suffix):
            stem = name[: -len(suffix)]
            break
    return prefix + stem, prefix + name


class Decision(NamedTuple):
    """What the parent decided about one input's edition names."""

    source: str  # its identity
    collides_with: str | None = None  # an input of this run with the same stem here
    claimed_by: str | None = None  # the other file its state record belongs to
    reserved: dict[str, str] | None = None  # slots it could make -> who owns them


class NamePlan:
    """The naming decisions of one run (see the module's docstring)."""

    def __init__(
        self,
        inputs: Iterable[Input],
        out_dir: Path,
        previous: dict[str, Previous] | None = None,
        times: dict[str, float] | None = None,
    ) -> None:
        self.out_dir = out_dir
        self.previous = previous or {}
        named = [(item, *_slot_and_key(item)) for item in inputs]
        self._keys = {key for _, _, key in named}
        # slot -> (owner key, its record, its files under that slot), newest record wins.
        self._recorded: dict[str, tuple[str, Previous, list[str]]] = {}
        newest: dict[str, float] = {}
        for key, prev in self.previous.items():
            when = (times or {}).get(key, 0.0)
            slots: dict[str, list[str]] = defaultdict(list)
            for rel in prev.outputs:
                slots[output_slot(rel)].append(rel)
            for slot, rels in slots.items():
                if when >= newest.get(slot, -1.0):
                    newest[slot] = when
                    self._recorded[slot] = (key, prev, rels)
        self._numbered: dict[str, set[str]] = defaultdict(set)  # base slot -> "base-N" slots
        for slot in self._recorded:
            if base := _numbered_base(slot):
                self._numbered[base].add(slot)
        groups: dict[str, list[tuple[Input, str]]] = defaultdict(list)
        for item, slot, key in named:
            groups[slot].append((item, key))
        self._run: dict[str, tuple[str, str]] = {}  # slot -> (key, path) of its owner here
        self.collisions: dict[Input, str] = {}  # input -> the input whose slot it wanted
        for slot, items in groups.items():
            if len(items) > 1:  # the first by path, whatever order the inputs came in
                items.sort(key=lambda t: (t[0].path, t[1], t[0].index))
            winner, key = self._pick(slot, items)
            self._run[slot] = (key, winner.path)
            for item, _ in items:
                if item is not winner:
                    self.collisions[item] = winner.path
            if base := _numbered_base(slot):
                self._numbered[base].add(slot)

    def _pick(self, slot: str, items: list[tuple[Input, str]]) -> tuple[Input, str]:
        recorded = self._recorded.get(slot)
        if recorded is not None and len(items) > 1:
            key, prev, _ = recorded
            mine = [(i, k) for i, k in items if k == key]
            same = [(i, k) for i, k in mine if source_of(i) == prev.source]
            return (same or mine or items)[0]
        return items[0]

    def _owner(self, slot: str) -> tuple[str, str] | None:
        """(key, description for a message) of whoever owns ``slot``, or None."""
        recorded = self._recorded.get(slot)
        if recorded is not None:
            key, prev, rels = recorded
            if key in self._keys or any((self.out_dir / rel).exists() for rel in rels):
                return key, f"{prev.source or key} (converted by an earlier run)"
        return self._run.get(slot)

    def decide(self, item: Input) -> Decision:
        own, key = _slot_and_key(item)
        source = source_of(item)
        reserved = {}
        numbered = self._numbered.get(own, ())
        # Its own slot can only be another's by record (this run's rival is a collision).
        for slot in (own, *numbered) if numbered or own in self._recorded else ():
            owner = self._owner(slot)
            if owner is not None and owner[0] != key:
                reserved[slot] = owner[1]
        collides = self.collisions.get(item) if self.collisions else None  # hashing costs
        return Decision(source, collides, self._claimed_by(key, source), reserved or None)

    def reserved(self, item: Input) -> dict[str, str]:
        """Slots this input could make (its stem, its stem-N) owned by another input:
        slot -> who owns it. Usually empty."""
        return self.decide(item).reserved or {}

    def _claimed_by(self, key: str, source: str) -> str | None:
        """The other file whose editions, still there, this input's record in the state
        file holds (same name and place under -o, another resolved path), or None."""
        prev = self.previous.get(key)
        if prev is None or not prev.source or not source or prev.source == source:
            return None
        exists = any((self.out_dir / rel).exists() for rel in prev.outputs)
        return prev.source if exists else None


def output_collisions(inputs: list[Input]) -> dict[str, str]:
    """input path -> earlier input whose editions would have the same names (a.txt and
    a.xml in one folder, or two folders' files flattened by a glob)."""
    return {item.path: owner for item, owner in NamePlan(inputs, Path()).collisions.items()}
