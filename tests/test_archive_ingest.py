"""Ingest formats (issue #12): PRONOM ids that opf-fido agrees with for every edition and
--pdfa level, sha256 fixity in the inventories, PREMIS 3 in every object, and a BagIt 1.0
export with Archivematica's metadata/metadata.csv and a PREMIS file, validated by bagit."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import bagit
import pytest
from lxml import etree
from ocfl import StorageRoot
from typer.testing import CliRunner

from newsarchive.archive.deposit import deposit_file
from newsarchive.archive.premis import NS, PREMIS
from newsarchive.archive.record import PROVENANCE
from newsarchive.archive.store import Root, load_object
from newsarchive.cli import app
from newsarchive.options import Options

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "001_7cc6b842f5fc215c.txt"
MULTI = ROOT / "seeds" / "003_870fa4bf9c956fbc.txt"  # a page of two stories
BIN = Path(sys.executable).parent
P = f"{{{NS}}}"
runner = CliRunner()


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One root per --pdfa level, each holding the same seeds."""
    made = {}
    for level in ("1b", "2b", "3b"):
        root = tmp_path_factory.mktemp(f"pdfa{level}") / "root"
        for seed in (SEED, MULTI):
            deposit_file(seed, root, Options(pdfa=level))
        made[level] = root
    return made


def fido(paths: list[Path]) -> dict[str, set[str]]:
    """file -> PUIDs opf-fido (its own PRONOM signatures, offline) finds for it."""
    done = subprocess.run(
        [str(BIN / "fido"), "-q", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    found: dict[str, set[str]] = {}
    for row in csv.reader(io.StringIO(done.stdout)):
        if row and row[0] == "OK":
            found.setdefault(row[6], set()).add(row[2])
    return found


def stored_files(root: Path) -> list[tuple[Path, dict, str]]:
    """(content file, its provenance entry, logical path) for every head file."""
    out = []
    for objdir in Root.open(root).object_dirs():
        obj = load_object(objdir)
        record = json.loads(obj.read(PROVENANCE))
        for logical, entry in record["files"].items():
            out.append((obj.content_path(obj.state()[logical]), entry, logical))
    return out


def bagit_cli_validate(bag_dir: Path) -> subprocess.CompletedProcess[str]:
    """The bag through bagit's own command line."""
    return subprocess.run([sys.executable, "-m", "bagit", "--validate", str(bag_dir)],
                          capture_output=True, text=True, timeout=120, check=False)


def test_fido_identifies_every_archived_file_as_recorded(roots: dict[str, Path]) -> None:
    expected_pdf = {"1b": "fmt/354", "2b": "fmt/477", "3b": "fmt/480"}
    files = [item for root in roots.values() for item in stored_files(root)]
    found = fido([path for path, _, _ in files])
    checked = set()
    for path, entry, logical in files:
        puid = entry["format"]["puid"]
        assert puid, logical
        if logical.endswith((".pdf", ".tei.xml", ".docx")):
            # By signature or container: exactly the one recorded.
            assert found[str(path)] == {puid}, (logical, found.get(str(path)))
        else:  # plain text has no signature; fido matches it by extension among others
            assert puid in found[str(path)], (logical, found.get(str(path)))
        checked.add(Path(logical).suffix)
    assert checked == {".pdf", ".xml", ".docx", ".txt"}
    for level, root in roots.items():
        pdfs = [e for _, e, logical in stored_files(root) if logical.endswith(".pdf")]
        assert {e["format"]["puid"] for e in pdfs} == {expected_pdf[level]}
    tei = next(e for _, e, logical in stored_files(roots["1b"]) if logical.endswith(".tei.xml"))
    assert tei["format"]["puid"] == "fmt/1476"


def test_inventories_carry_sha256_fixity(roots: dict[str, Path]) -> None:
    for objdir in Root.open(roots["1b"]).object_dirs():
        inventory = json.loads((objdir / "inventory.json").read_bytes())
        fixity = inventory["fixity"]["sha256"]
        paths = [p for ps in inventory["manifest"].values() for p in ps]
        assert sorted(p for ps in fixity.values() for p in ps) == sorted(paths)
        for digest, listed in fixity.items():
            for rel in listed:
                assert hashlib.sha256((objdir / rel).read_bytes()).hexdigest() == digest


def check_premis(data: bytes, files: dict[str, Path]) -> etree._Element:
    """Structure of a PREMIS 3 document (no XSD offline): objects with PRONOM ids and
    fixity that match the files, events that link to existing objects and agents."""
    doc = etree.fromstring(data)
    assert doc.tag == f"{P}premis" and doc.get("version") == "3.0"
    kinds = [child.tag.removeprefix(P) for child in doc]
    assert kinds == sorted(kinds, key=["object", "event", "agent"].index)  # schema order
    ids = {}
    for obj in doc.iter(f"{P}object"):
        ident = obj.findtext(f"{P}objectIdentifier/{P}objectIdentifierValue")
        ids[ident] = obj
        chars = obj.find(f"{P}objectCharacteristics")
        digests = {
            f.findtext(f"{P}messageDigestAlgorithm"): f.findtext(f"{P}messageDigest")
            for f in chars.iter(f"{P}fixity")
        }
        data_file = files[ident]
        assert digests["SHA-256"] == hashlib.sha256(data_file.read_bytes()).hexdigest()
        assert digests["SHA-512"] == hashlib.sha512(data_file.read_bytes()).hexdigest()
        assert int(chars.findtext(f"{P}size")) == data_file.stat().st_size
        registry = chars.find(f"{P}format/{P}formatRegistry")
        assert registry.findtext(f"{P}formatRegistryName") == "PRONOM"
        assert registry.findtext(f"{P}formatRegistryKey").startswith(("fmt/", "x-fmt/"))
    agents = {
        a.findtext(f"{P}agentIdentifier/{P}agentIdentifierValue"): a for a in doc.iter(f"{P}agent")
    }
    assert agents and all(a.findtext(f"{P}agentType") == "software" for a in agents.values())
    events = list(doc.iter(f"{P}event"))
    assert {e.findtext(f"{P}eventType") for e in events} >= {"normalization", "creation"}
    for event in events:
        assert event.findtext(f"{P}eventDateTime").endswith("Z")
        agent = event.findtext(f"{P}linkingAgentIdentifier/{P}linkingAgentIdentifierValue")
        assert agent in agents
        for link in event.iter(f"{P}linkingObjectIdentifierValue"):
            assert link.text in ids
    return doc


def test_each_object_holds_premis(roots: dict[str, Path]) -> None:
    for objdir in Root.open(roots["2b"]).object_dirs():
        obj = load_object(objdir)
        files = {
            logical: obj.content_path(digest)
            for logical, digest in obj.state().items()
            if logical not in (PROVENANCE, PREMIS)
        }
        doc = check_premis(obj.read(PREMIS), files)
        names = [o.findtext(f"{P}originalName") for o in doc.iter(f"{P}object")]
        assert [n for n in names if n] == [MULTI.name if "003" in str(files) else SEED.name]


def test_export_is_a_bagit_1_0_bag_archivematica_reads(
    roots: dict[str, Path], tmp_path: Path
) -> None:
    root = roots["1b"]
    ids = sorted(load_object(d).id for d in Root.open(root).object_dirs())
    bag_dir = tmp_path / "transfer"
    done = runner.invoke(
        app, ["archive", "export", *ids, "--bagit", str(bag_dir), "--root", str(root)]
    )
    assert done.exit_code == 0, done.output
    bag = bagit.Bag(str(bag_dir))
    assert bag.version_info == (1, 0)
    assert (bag_dir / "bagit.txt").read_text().startswith("BagIt-Version: 1.0\n")
    bag.validate()
    # The same bag through bagit's own command line.
    cli = bagit_cli_validate(bag_dir)
    assert cli.returncode == 0, cli.stderr
    # Archivematica: data/ becomes objects/; metadata/metadata.csv has a filename column
    # then Dublin Core columns, one row per object folder.
    with (bag_dir / "data" / "metadata" / "metadata.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    header = list(rows[0])
    assert header[0] == "filename" and all(c.startswith("dc.") for c in header[1:])
    assert len(rows) == len(ids) == 3
    for row in rows:
        folder = bag_dir / "data" / row["filename"].removeprefix("objects/")
        record = json.loads((folder / PROVENANCE).read_bytes())
        assert row["dc.identifier"] == record["object_id"]
        assert row["dc.title"] == record["metadata"]["title"]
        assert row["dc.date"] == (record["metadata"]["date"] or "") and row["dc.type"] == "Text"
    data = bag_dir / "data"
    files = {
        "objects/" + p.relative_to(data).as_posix(): p
        for p in data.rglob("*")
        if p.is_file() and p.name not in ("provenance.json", "premis.xml", "metadata.csv")
    }
    doc = check_premis((data / "metadata" / "premis.xml").read_bytes(), files)
    assert len(list(doc.iter(f"{P}object"))) == len(files) == 3 * 4
    # A corrupted bag fails validation.
    victim = next(p for p in files.values() if p.suffix == ".pdf")
    victim.write_bytes(victim.read_bytes()[:-1] + b"!")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(bag_dir)).validate()
    cli = bagit_cli_validate(bag_dir)
    assert cli.returncode != 0


def test_the_documented_ocfl_validation_command_catches_damage(
    roots: dict[str, Path], tmp_path: Path
) -> None:
    """ocfl-py's StorageRoot.validate() (and `ocfl-validate.py ROOT`) pass a root whose
    objects are damaged; archive/README.md says to compare good and total objects, or to
    validate the objects themselves, and that is what catches it."""
    root = tmp_path / "root"
    shutil.copytree(roots["1b"], root)
    pdf = next(root.rglob("*.pdf"))
    pdf.write_bytes(pdf.read_bytes() + b"x")
    sr = StorageRoot(root=str(root))
    assert sr.validate(validate_objects=True, check_digests=True, log_warnings=False)
    assert sr.good_objects == sr.num_objects - 1  # the figure to compare
    readme = (ROOT / "archive" / "README.md").read_text("utf-8")
    assert "good_objects" in readme
    objects = [str(d) for d in Root.open(root).object_dirs()]
    per_object = subprocess.run(
        [str(BIN / "ocfl-validate.py"), "-q", *objects],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert per_object.returncode == 1 and "E092" in per_object.stdout + per_object.stderr
    ours = runner.invoke(app, ["archive", "verify", "--root", str(root)])
    assert ours.exit_code == 1 and "damaged" in ours.output
