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
    expect: str  # "ok" (converted), "editions" (TEI + DOCX; the PDF made or one line
    # naming the input says why not), or a substring of the one-line error
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

# --------------------------------------------------------------------------- round two

_KO = ("서울시는 오늘 새로운 도서관을 열었습니다. 시민들은 아침부터 줄을 서서 책을 빌렸습니다.\n"
       "시장은 개관식에서 모든 시민이 책을 가까이 하기를 바란다고 말했습니다.\n") * 6
_JA = ("東京都は今日、新しい図書館を開きました。市民の皆さんは朝から列を作って本を借りました。\n"
       "知事は開館式で、すべての市民が本に親しむことを願うと述べました。\n") * 6
_ZH_BODY = ("本报讯（记者王明）昨天上午，市图书馆新馆正式开放，数千名市民排队借书。\n"
            "馆长李华介绍，新馆藏书一百二十万册，设有儿童阅览区和古籍修复室。\n"
            "不少市民表示，周末将带孩子再来看看。\n")


def _article(extra: str = "", title: str = "市图书馆新馆开放") -> str:
    """A small invented article (fast to render); ``extra`` goes into its first paragraph."""
    lines = _ZH_BODY.split("\n")
    lines[0] = lines[0][:12] + extra + lines[0][12:]
    return title + "\n\n" + "\n".join(lines)


def _small(extra: str = "", encoding: str = "utf-8") -> Callable[[], bytes]:
    if encoding in ("big5", "big5hkscs"):  # Traditional text for a Traditional encoding
        return lambda: _traditional(_article(extra)).encode(encoding)
    return lambda: _article(extra).encode(encoding)


def _traditional(text: str) -> str:
    from newsarchive.normalize.script import converter

    return converter("s2t").convert(text)


def _seed_in(index: int, encoding: str) -> Callable[[], bytes]:
    def make() -> bytes:
        path = sorted(SEED.parent.glob("*.txt"))[index]
        return path.read_text("utf-8").encode(encoding, errors="replace")

    return make


_LANGUAGE = (
    Case("ko-euckr.txt", "Korean in EUC-KR (was read as GB18030 gibberish)",
         lambda: ("도서관 개관\n" + _KO).encode("euc_kr"), "Korean text"),
    Case("ko-cp949.txt", "Korean in CP949", lambda: ("도서관 개관\n" + _KO).encode("cp949"),
         "Korean text"),
    Case("ko-utf8.txt", "Korean in UTF-8", lambda: ("도서관 개관\n" + _KO).encode("utf-8"),
         "Korean text"),
    Case("ko-hanja.txt", "Korean with Hanja mixed in (UTF-8)",
         lambda: ("圖書館 개관\n" + _KO.replace("도서관", "圖書館")).encode("utf-8"), "Korean text"),
    Case("ja-sjis.txt", "Japanese in Shift_JIS (was t2s-converted, tagged zh-Hans)",
         lambda: ("図書館\n" + _JA).encode("shift_jis"), "Japanese text"),
    Case("ja-eucjp.txt", "Japanese in EUC-JP", lambda: ("図書館\n" + _JA).encode("euc_jp"),
         "Japanese text"),
    Case("ja-iso2022.txt", "Japanese in ISO-2022-JP (7-bit, looks like ASCII)",
         lambda: ("図書館\n" + _JA).encode("iso2022_jp"), "Japanese text"),
    Case("ja-utf8.txt", "Japanese in UTF-8", lambda: ("図書館\n" + _JA).encode("utf-8"),
         "Japanese text"),
    Case("ja-halfwidth.txt", "Japanese with half-width katakana",
         lambda: ("ﾄｳｷｮｳ\n" + _JA.replace("市民", "ｼﾐﾝ")).encode("utf-8"), "Japanese text"),
    Case("zh-quotes-ja.txt", "Chinese quoting a Japanese title (a few kana): converted",
         _small("日本动画《となりのトトロ》"), "ok"),
    Case("zh-quotes-ko.txt", "Chinese quoting a Korean name (a few Hangul): converted",
         _small("韩国歌手（아이유）"), "editions"),
    Case("zh-middle-dot.txt", "Chinese with the katakana middle dot in a name: converted",
         _small("玛丽・居里和约翰ー史密斯"), "ok"),
)

_CHARACTERS = (
    Case("ext-b.txt", "CJK Ext-B characters outside the BMP (𠮷, 𪚥)", _small("𠮷野家和𪚥字"),
         "editions"),
    Case("emoji.txt", "emoji", _small("大家都点赞👍🔥😀"), "editions"),
    Case("emoji-zwj.txt", "emoji ZWJ sequences and skin tones", _small("一家人👨‍👩‍👧和👍🏽"),
         "editions"),
    Case("rtl.txt", "Arabic and Hebrew (right-to-left) words", _small("阿拉伯语العربية希伯来语עברית"),
         "editions"),
    Case("pua.txt", "private-use characters", _small("私用区\ue000\uf8ff字符"), "editions"),
    Case("variation.txt", "ideographic variation selectors", _small("葛\U000e0100城"), "editions"),
    Case("combining.txt", "combining marks on Latin and Han", _small("Cafe\u0301和汉\u0301字"),
         "editions"),
    Case("ext-g.txt", "CJK Ext-G (U+30000)", _small("\U00030000字"), "editions"),
    Case("tags.txt", "Unicode tag characters", _small("标签\U000e0041\U000e007f"), "editions"),
    Case("math.txt", "mathematical alphanumerics (U+1D400)", _small("公式𝐀𝐁𝐂"), "editions"),
)

_ENCODINGS = tuple(
    Case(f"seed{i}-{label}.txt", f"seed {i} in {label.upper()}", _seed_in(i, codec), "ok")
    for i in range(5)
    # seed 2 has pinyin with tone marks (á, ǎ): UTF-16 without a BOM must still be found
    for label, codec in (("gb18030", "gb18030"), ("gbk", "gbk"), ("utf16le", "utf-16-le"),
                         ("utf16be", "utf-16-be"), ("utf8bom", "utf-8-sig"), ("utf32", "utf-32"))
) + tuple(
    Case(f"small-{label}.txt", f"a small article in {label.upper()}", _small("", codec), "ok")
    for label, codec in (("big5", "big5"), ("gb2312", "gb2312"), ("hz", "hz"))
)

_MAGIC = tuple(
    Case(f"magic-{label}.txt", f"{what} named .txt", lambda m=magic: m + bytes(64), word)
    for label, what, magic, word in (
        ("jpeg", "JPEG image", b"\xff\xd8\xff\xe0", "JPEG"),
        ("gif", "GIF image", b"GIF89a", "GIF"),
        ("gzip", "gzip archive", b"\x1f\x8b\x08\x00", "gzip"),
        ("elf", "executable", b"\x7fELF\x02\x01", "executable"),
        ("rar", "RAR archive", b"Rar!\x1a\x07", "RAR"),
        ("7z", "7-Zip archive", b"7z\xbc\xaf\x27\x1c", "7-Zip"),
        ("ole", "old MS Office document", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Office"),
    )
)

_CONTROLS = tuple(
    Case(f"control-{code:02x}.txt", f"the control character U+{code:04X} inside a sentence",
         _small(chr(code)), "ok")
    for code in (0x01, 0x07, 0x08, 0x0B, 0x0C, 0x1B, 0x1F, 0x7F, 0x85, 0x9B)
) + tuple(
    Case(f"format-{code:04x}.txt", f"the format character U+{code:04X} inside a sentence",
         _small(chr(code)), "ok")
    for code in (0x200B, 0x200E, 0x202A, 0x202E, 0x2066, 0xFEFF, 0xFFFE, 0x2028, 0x00AD)
) + (Case("format-fffd.txt", "U+FFFD (a replacement character) inside a sentence",
          _small("\ufffd"), "editions"),)

_SHAPES = (
    Case("only-punct.txt", "only punctuation (kept as text)", lambda: "，。！？\n、；：\n".encode(),
         "ok"),
    Case("only-title.txt", "a title and nothing else", lambda: "市图书馆新馆开放\n".encode(),
         "no article"),
    Case("only-digits.txt", "only digits (kept as text)", lambda: b"123456\n7890\n", "ok"),
    Case("only-latin.txt", "an English text", lambda: (
        b"City library opens.\n\nThousands queued to borrow books, the director said.\n"
    ), "ok"),
    Case("nul-one.txt", "one NUL byte in a Chinese text", _small("\x00"), "NUL"),
    Case("cr-only.txt", "old Mac line ends (CR only)",
         lambda: _article().replace("\n", "\r").encode(), "ok"),
    Case("blank-lines.txt", "10,000 blank lines between paragraphs",
         lambda: _article().replace("\n", "\n" * 10_000).encode(), "ok"),
    Case("spaces-line.txt", "a 1 MB line of ideographic spaces inside an article",
         lambda: (_article() + "\u3000" * 350_000 + "\n").encode(), "ok"),
    Case("comma-run.txt", "a 200,000-comma run (punctuation runs)",
         lambda: _article("," * 200_000).encode(), "ok"),
    Case("paren-run.txt", "100,000 unmatched opening parentheses",
         lambda: _article("(" * 100_000).encode(), "ok"),
    Case("at-run.txt", "a 300,000-character run of e-mail-like text without a dot",
         lambda: _article("a@" * 150_000).encode(), "ok"),
    Case("digit-run.txt", "a 500,000-digit run (the time pattern)",
         lambda: _article("1" * 500_000).encode(), "ok"),
    Case("url-run.txt", "a 500 KB URL", lambda: _article("http://x.cn/" + "a" * 500_000).encode(),
         "ok"),
    Case("pinyin-run.txt", "100,000 pinyin glosses", lambda: _article("報(bào)" * 100_000).encode(),
         "ok"),
    Case("many-stories.txt", "40 stories on one page", lambda: "\n\n".join(
        f"第{i}条新闻标题\n\n【本报讯】记者王明报道，这是第{i}条新闻的正文，内容完整。\n" for i in range(40)
    ).encode(), "ok"),
)

CASES = CASES + _LANGUAGE + _CHARACTERS + _ENCODINGS + _MAGIC + _CONTROLS + _SHAPES


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
