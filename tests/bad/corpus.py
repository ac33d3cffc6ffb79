"""The hostile-input corpus: every kind of bad file a scraper produces, generated on demand.

Used by tests/test_hostile.py and by scripts/hostile_report.py (the table in
docs/hostile-input.md). Each case says whether newsarchive must convert it (repairing what
can be repaired, with provenance) or refuse it with one line naming the cause.
"""

from __future__ import annotations

import random
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SEED = Path(__file__).resolve().parents[2] / "seeds" / "001_7cc6b842f5fc215c.txt"


@dataclass(frozen=True)
class Case:
    name: str  # file name to write (may hold spaces, Unicode, a leading dash)
    what: str  # description for the report table
    make: Callable[[], bytes]
    expect: str  # "ok" (converted) or a substring of the one-line error
    tei_input: bool = False  # a TEI/XML file given to convert and validate


def _seed() -> str:
    return SEED.read_text("utf-8")


def _png() -> bytes:
    raw = b"\x00\xff\x00\x00" * 4
    return (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(13) + zlib.compress(raw))


def _random() -> bytes:
    rng = random.Random(7)
    return bytes(rng.randrange(256) for _ in range(8192))


def _truncated() -> bytes:
    data = _seed().encode("utf-8")
    return data[: len(data) - 1]  # the seed ends in a Han character: cut it in the middle


def _big5() -> bytes:
    from newsarchive.normalize.script import converter

    return converter("s2t").convert(_seed()).encode("big5", errors="replace")


def _mixed_eol() -> bytes:
    lines = _seed().split("\n")
    ends = ["\r\n", "\n", "\r"]
    return "".join(line + ends[i % 3] for i, line in enumerate(lines)).encode("utf-8")


def _controls() -> bytes:
    body = ("正文里有控制字符\x01\x02\x1b、非字符\ufffe\uffff、双向覆盖\u202e\u202d、零宽\u200b\u200d"
            "和转义的孤立代理项\\udc80，这些都必须被清除或保留为文字。")
    return ("控制字符测试\n" + body * 3).encode("utf-8")


def _markup() -> bytes:
    body = ("正文包含<b>标签</b>、&amp;实体、]]>结束符、<?xml version=\"1.0\"?>声明和"
            "<!DOCTYPE x [<!ENTITY e \"boom\">]>，必须原样作为文字转义。")
    return ("标记注入<script>alert(1)</script>\n" + body * 2).encode("utf-8")


_BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>&lol4;</p></body></text></TEI>"""
_XXE = b"""<?xml version="1.0"?>
<!DOCTYPE TEI [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>&xxe;</p></body></text></TEI>"""
_DTD_URL = b"""<?xml version="1.0"?>
<!DOCTYPE TEI SYSTEM "http://example.com/evil.dtd">
<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>x</p></body></text></TEI>"""


_FOREIGN_HEAD = ('<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt>'
                 "<title>外来的标题</title></titleStmt><publicationStmt><p>某出版社</p>"
                 "</publicationStmt><sourceDesc><p>手工录入</p></sourceDesc></fileDesc>"
                 "</teiHeader><text><body>\n")


def _foreign_tei(paragraphs: int) -> bytes:
    """A TEI file made elsewhere: no scraped-file record, no hash, no xenoData."""
    body = "".join(f"<p>这是外来文件的第{i}段，内容完整。</p>\n" for i in range(paragraphs))
    return (_FOREIGN_HEAD + body + "</body></text></TEI>\n").encode("utf-8")


def _no_punctuation_line() -> bytes:
    # One 1 MB line of word characters: a run the e-mail pattern used to rescan from every
    # start (quadratic: hours at this size). The address inside must stay untouched.
    run = "没有标点的长句子" * 40_000
    return (run + "联系邮箱news.desk+tips@example.com" + run).encode("utf-8")


def _deep() -> bytes:
    depth = 100_000
    return (b'<TEI xmlns="http://www.tei-c.org/ns/1.0">' + b"<div>" * depth + b"</div>" * depth
            + b"</TEI>")


CASES: tuple[Case, ...] = (
    Case("empty.txt", "empty file", lambda: b"", "empty"),
    Case("blank.txt", "whitespace only (with an ideographic space)",
         lambda: " \n\t\r\n\u3000".encode("utf-8"), "empty"),
    Case("photo.txt", "PNG image named .txt", _png, "PNG"),
    Case("scan.txt", "PDF named .txt", lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
    Case("bundle.txt", "ZIP named .txt", lambda: b"PK\x03\x04\x14\x00\x00\x00" + bytes(40), "ZIP"),
    Case("noise.txt", "8 KB of random bytes", _random, "binary"),
    Case("truncated.txt", "UTF-8 cut inside its last character", _truncated, "ok"),
    Case("gb18030.txt", "GB18030 misnamed as UTF-8", lambda: _seed().encode("gb18030"), "ok"),
    Case("big5.txt", "Big5 (Traditional) misnamed as UTF-8", _big5, "ok"),
    Case("utf16.txt", "UTF-16 with BOM", lambda: _seed().encode("utf-16"), "ok"),
    Case("mixed-eol.txt", "CRLF, LF and CR mixed", _mixed_eol, "ok"),
    Case("one-line.txt", "a 1 MB line without a newline",
         lambda: ("这是一个很长的句子，没有换行。" * 23000).encode("utf-8"), "ok"),
    Case("huge.txt", "a 50 MB text file (over the 20 MB size guard)",
         lambda: ("大文件的正文，一行又一行。\n" * 1_350_000).encode("utf-8"), "too large"),
    Case("controls.txt", "controls, U+FFFE/U+FFFF, bidi, zero-width, escaped surrogate",
         _controls, "ok"),
    Case("markup.txt", "text holding <, &, ]]>, <?xml, <!DOCTYPE", _markup, "ok"),
    Case("with space 文章 名.txt", "file name with spaces and Unicode",
         lambda: _seed().encode("utf-8"), "ok"),
    Case("-leading-dash.txt", "file name with a leading dash", lambda: _seed().encode("utf-8"),
         "ok"),
    Case("laughs.tei.xml", "TEI with a billion-laughs entity bomb", lambda: _BILLION_LAUGHS,
         "DOCTYPE", tei_input=True),
    Case("xxe.tei.xml", "TEI with an external entity (file:///etc/passwd)", lambda: _XXE,
         "DOCTYPE", tei_input=True),
    Case("dtd-url.tei.xml", "TEI with a DTD at a URL", lambda: _DTD_URL, "DOCTYPE",
         tei_input=True),
    Case("deep.tei.xml", "XML nested 100,000 deep", _deep, "deep", tei_input=True),
    # round two (issue 14)
    Case("no-punct-line.txt", "a 1 MB line without punctuation (quadratic e-mail pattern)",
         _no_punctuation_line, "ok"),
    Case("foreign.tei.xml", "a foreign TEI (no scraped-file record, no hash)",
         lambda: _foreign_tei(3), "ok"),
    Case("paragraphs.tei.xml", "a foreign TEI with 20,000 paragraphs (DOCX was quadratic)",
         lambda: _foreign_tei(20_000), "ok"),
)


def write_corpus(folder: Path) -> dict[str, Case]:
    folder.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        (folder / case.name).write_bytes(case.make())
    return {case.name: case for case in CASES}


def _complete(path: Path) -> bool:
    from newsarchive.validate import validate_tei

    if path.name.endswith(".part"):
        return False
    if path.suffix == ".pdf":
        return path.read_bytes().rstrip().endswith(b"%%EOF")
    if path.suffix == ".docx":
        try:
            with zipfile.ZipFile(path) as archive:
                return archive.testzip() is None
        except zipfile.BadZipFile:
            return False
    if path.name.endswith(".tei.xml"):
        return not validate_tei(path)
    return True


def leftovers(folder: Path) -> list[Path]:
    """Temporary or truncated editions: must never stay behind."""
    return [path for path in folder.rglob("*") if path.is_file() and not _complete(path)]
