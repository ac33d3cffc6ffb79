"""DOCX writer: text fidelity through LibreOffice, metadata, Chinese fonts/language, hygiene."""

from __future__ import annotations

import io
import itertools
import re
import shutil
import subprocess
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from docx import Document
from lxml import etree

from newsarchive import TOOL_NAME, __version__
from newsarchive.model import Article, Block, Credit, Edit, Metadata
from newsarchive.options import Options
from newsarchive.writers.docx import (
    DEFAULT_EAST_ASIAN_FONT,
    TRADITIONAL_EAST_ASIAN_FONT,
    write_docx,
)

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
SEEDS = sorted((Path(__file__).resolve().parents[1] / "seeds").glob("*.txt"))
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
SHA = "8a8d1d953e3f51ef" + "0" * 48


def simplified_article() -> Article:
    md = Metadata(
        title="沿滩区以高质量党建引领全域提升",
        subtitle="奋进新征程·“十四五”成就巡礼",
        authors=("韩慧林", "王静"),
        credits=(
            Credit(name="金艳", role="editor", label="责任编辑"),
            Credit(name="李明", role="editor", label="编审"),
            Credit(name="汪新", role="photographer"),
        ),
        newspaper="重庆日报",
        edition="第015版",
        page="15",
        section="奋进新时代·新发展理念在重庆",
        date="2022-10-20",
        url="https://example.org/a.html",
        language="zh-Hans",
        source_script="zh-Hans",
        source_file="001_7cc6b842f5fc215c.txt",
        source_sha256=SHA,
        source_encoding="utf-8",
    )
    blocks = (
        Block("figure", "开展廉洁主题教育", (18,), credit="汪新"),
        Block(
            "paragraph",
            "宏伟蓝图，重在领航；伟大征程，核心在党。“十四五”以来，沿滩区始终坚持"
            "以高质量党建引领全局发展。",
            (20,),
        ),
        Block("heading", "组织体系全面延伸 筑牢基层发展根基", (26,)),
        Block(
            "paragraph",
            "在乡村，构建起“村(社区)—小区(网格)—楼栋(院落)”三级党组织架构，"
            "推动党的领导直达治理末梢；培塑“红船引领 扬帆未来”等特色品牌。",
            (28, 29),
        ),
        Block("label", "链接》", (51,)),
        Block("paragraph", "ABC 2022年 GDP 增长 3.5%，“双报到双服务双报告”活动持续开展！", (52,)),
    )
    edits = (
        Edit("chrome", "nav.prev-next", "remove", "上一版 下一版", line=3),
        Edit("chrome", "font-size", "remove", "放大 缩小 默认", line=10),
        Edit("punctuation", "comma", "replace", ",", "，", line=20),
        Edit("segment", "caption", "classify", "开展廉洁主题教育", line=18, doubtful=True),
    )
    return Article(metadata=md, blocks=blocks, provenance=edits, source_text="…")


def traditional_article() -> Article:
    md = Metadata(
        title="遂寧安居紅薯產業發展紀實",
        authors=("吳軍",),
        author_affiliation="（作者系遂寧市安居區區委書記）",
        credits=(Credit(name="劉艷梅", role="editor", label="責編"),),
        newspaper="學習時報",
        date="2023-05-04",
        language="zh-Hant",
        source_script="zh-Hant",
        source_file="002_1fe3cad3fdb1668b.txt",
        source_sha256="1fe3cad3fdb1668b" + "f" * 48,
    )
    blocks = (
        Block("paragraph", "黨組織建設是基層治理的關鍵，遂寧(安居)紅薯遠近聞名。", (3,)),
        Block("heading", "聯農帶農 共同富裕", (4,)),
        Block("figure", "農民在田間收穫紅薯", (5,)),
        Block("paragraph", "產業發展「接地氣」，群眾才能得實惠。", (5,)),
    )
    return Article(
        metadata=md, blocks=blocks, provenance=(Edit("gloss", "pinyin", "remove", "(qū)", line=5),)
    )


@dataclass
class Rendered:
    article: Article
    data: bytes
    text: str  # LibreOffice's plain-text export
    seconds: float  # build + save


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _render_all(named: dict[str, Article], tmp: Path) -> dict[str, Rendered]:
    """Write every article, then convert them all to text in ONE soffice run (3 s start)."""
    assert SOFFICE, "LibreOffice is needed for the DOCX text check"
    built: dict[str, tuple[Article, bytes, float]] = {}
    for name, article in named.items():
        start = time.perf_counter()
        data = write_docx(article, Options())
        built[name] = (article, data, time.perf_counter() - start)
        (tmp / f"{name}.docx").write_bytes(data)
    profile = tmp / "lo-profile"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", "txt:Text (encoded):UTF8", "--outdir", str(tmp / "txt"),
         *(str(tmp / f"{name}.docx") for name in built)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    out = {}
    for name, (article, data, seconds) in built.items():
        text = (tmp / "txt" / f"{name}.txt").read_text(encoding="utf-8-sig")
        out[name] = Rendered(article, data, text, seconds)
    return out


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    tmp = tmp_path_factory.mktemp("docx")
    return _render_all({"hans": simplified_article(), "hant": traditional_article()}, tmp)


# --------------------------------------------------------------------------- helpers


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def _expected_pieces(article: Article) -> list[str]:
    """The normalised text the document must carry, in reading order."""
    return [_squash(p) for p in article.plain_text().split("\n") if _squash(p)]


def assert_text_in_order(article: Article, extracted: str) -> None:
    haystack = _squash(extracted)
    pos = 0
    for piece in _expected_pieces(article):
        found = haystack.find(piece, pos)
        assert found >= 0, f"missing or out of order: {piece[:40]!r}"
        pos = found + len(piece)


def _styles(data: bytes) -> etree._Element:
    return etree.fromstring(_parts(data)["word/styles.xml"])


def _used_style_ids(data: bytes) -> set[str]:
    """Paragraph styles referenced anywhere, their basedOn chains and Normal."""
    parts = _parts(data)
    ids = {"Normal"}
    for name, blob in parts.items():
        if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", name):
            root = etree.fromstring(blob)
            ids |= {el.get(f"{{{W}}}val") for el in root.iterfind(".//w:pStyle", NS)}
    styles = {s.get(f"{{{W}}}styleId"): s for s in _styles(data).iterfind("w:style", NS)}
    todo = list(ids)
    while todo:
        based = styles[todo.pop()].find("w:basedOn", NS)
        if based is not None and based.get(f"{{{W}}}val") not in ids:
            ids.add(based.get(f"{{{W}}}val"))
            todo.append(based.get(f"{{{W}}}val"))
    return ids


def assert_chinese_styles(data: bytes, lang: str, font: str = DEFAULT_EAST_ASIAN_FONT) -> None:
    root = _styles(data)
    rpr_default = root.find("w:docDefaults/w:rPrDefault/w:rPr", NS)
    by_id = {s.get(f"{{{W}}}styleId"): s for s in root.iterfind("w:style", NS)}
    targets = {"docDefaults": rpr_default}
    targets |= {sid: by_id[sid].find("w:rPr", NS) for sid in _used_style_ids(data)}
    for where, rpr in targets.items():
        assert rpr is not None, where
        fonts = rpr.find("w:rFonts", NS)
        assert fonts is not None, where
        attrs = {etree.QName(k).localname: v for k, v in fonts.attrib.items()}
        assert attrs["eastAsia"] == font, where
        assert {"ascii", "hAnsi", "cs"} <= attrs.keys(), where
        assert attrs["hint"] == "eastAsia", where
        assert not [a for a in attrs if a.lower().endswith("theme")], where
        lang_el = rpr.find("w:lang", NS)
        assert lang_el is not None, where
        assert lang_el.get(f"{{{W}}}val") == lang, where
        assert lang_el.get(f"{{{W}}}eastAsia") == lang, where
    # theme fonts anywhere in styles.xml could still win over a used style's chain
    for fonts in root.iter(f"{{{W}}}rFonts"):
        assert not [a for a in fonts.attrib if etree.QName(a).localname.lower().endswith("theme")]
    settings = etree.fromstring(_parts(data)["word/settings.xml"])
    zoom = settings.find("w:zoom", NS)  # w:percent is required by the schema (CT_Zoom)
    assert zoom is None or zoom.get(f"{{{W}}}percent", "").isdigit()
    theme_lang = settings.find("w:themeFontLang", NS)
    assert theme_lang.get(f"{{{W}}}val") == lang
    assert theme_lang.get(f"{{{W}}}eastAsia") == lang


def assert_package_hygiene(data: bytes) -> None:
    parts = _parts(data)
    assert "docProps/thumbnail.jpeg" not in parts
    assert not [n for n in parts if n.lower().endswith((".jpeg", ".jpg", ".emf", ".wmf"))]
    assert b"thumbnail" not in parts["_rels/.rels"]
    assert b"jpeg" not in parts["[Content_Types].xml"]
    for name, blob in parts.items():
        if name.startswith("docProps/"):
            assert b"python-docx" not in blob.lower(), name
    assert "word/stylesWithEffects.xml" not in parts


def custom_properties(data: bytes) -> dict[str, str]:
    parts = _parts(data)
    rels = etree.fromstring(parts["_rels/.rels"])
    types = [r.get("Type") for r in rels]
    assert (
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
        in types
    )
    assert (
        b'ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"'
        in parts["[Content_Types].xml"]
    )
    root = etree.fromstring(parts["docProps/custom.xml"])
    out = {}
    for prop in root:
        assert prop.get("fmtid") == "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
        out[prop.get("name")] = prop[0].text
    pids = [int(p.get("pid")) for p in root]
    assert pids == list(range(2, 2 + len(pids)))
    return out


def check_article(r: Rendered) -> None:
    """Every check that applies to any article (hand-built or from a seed)."""
    md = r.article.metadata
    assert_text_in_order(r.article, r.text)
    lang = "zh-TW" if md.language == "zh-Hant" else "zh-CN"
    font = TRADITIONAL_EAST_ASIAN_FONT if lang == "zh-TW" else DEFAULT_EAST_ASIAN_FONT
    assert_chinese_styles(r.data, lang, font)
    assert_package_hygiene(r.data)
    cp = Document(io.BytesIO(r.data)).core_properties
    assert cp.title == (md.title or "")
    assert cp.author == "; ".join(md.authors)
    assert cp.subject == (md.newspaper or "")
    assert cp.language == md.language
    assert cp.last_modified_by == TOOL_NAME
    if md.source_sha256:
        assert cp.identifier == f"sha256:{md.source_sha256}"
    props = custom_properties(r.data) if "docProps/custom.xml" in _parts(r.data) else {}
    expected = {
        "newspaper": md.newspaper, "edition": md.edition, "page": md.page,
        "section": md.section, "date": md.date, "sourceFile": md.source_file,
        "sourceSha256": md.source_sha256,
    }  # fmt: skip
    for key, value in expected.items():
        assert props.get(key) == (value or None), key
    # the colophon closes the document
    squashed = _squash(r.text)
    tail = squashed[max(squashed.rfind("版本说明"), squashed.rfind("版本說明")) :]
    assert tail.startswith("版本")
    assert f"{TOOL_NAME}{__version__}" in tail
    if md.source_sha256:
        assert md.source_sha256 in tail


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("name", ["hans", "hant"])
def test_article_checks(rendered: dict[str, Rendered], name: str) -> None:
    check_article(rendered[name])


def test_text_order_and_extras(rendered: dict[str, Rendered]) -> None:
    text = rendered["hans"].text
    lines = [line.strip() for line in text.lstrip("\ufeff").splitlines() if line.strip()]
    assert lines[:4] == [
        "奋进新征程·“十四五”成就巡礼",
        "沿滩区以高质量党建引领全域提升",
        "韩慧林\u3000王静",
        "重庆日报\u3000第015版\u3000奋进新时代·新发展理念在重庆\u30002022年10月20日",
    ]
    assert "开展廉洁主题教育\u3000摄/汪新" in lines
    assert "责任编辑：金艳" in lines and "编审：李明" in lines
    assert "摄影：汪新" not in lines  # already credited under the photo
    assert "规范化处理：chrome 2 处；punctuation 1 处；segment 1 处" in lines
    assert "待人工核查：1 处" in lines
    # the order check itself must notice a swap
    swapped = simplified_article().evolve(blocks=simplified_article().blocks[::-1])
    with pytest.raises(AssertionError):
        assert_text_in_order(swapped, text)


def test_traditional_labels(rendered: dict[str, Rendered]) -> None:
    text = rendered["hant"].text
    assert "版本說明" in text and "規範化處理：gloss 1 處" in text
    assert "（作者系遂寧市安居區區委書記）" in text and "責編：劉艷梅" in text


def test_styles_per_block() -> None:
    article = simplified_article()
    doc = Document(io.BytesIO(write_docx(article, Options())))
    styles = [(p.style.name, p.text) for p in doc.paragraphs]
    assert styles[:4] == [
        ("Subtitle", article.metadata.subtitle),
        ("Title", article.metadata.title),
        ("Byline", "韩慧林\u3000王静"),
        ("Dateline", "重庆日报\u3000第015版\u3000奋进新时代·新发展理念在重庆\u30002022年10月20日"),
    ]
    kinds = {"paragraph": "Body Text", "heading": "Heading 2", "figure": "Caption",
             "label": "Label"}  # fmt: skip
    body = styles[4 : 4 + len(article.blocks)]
    for block, (style, text) in zip(article.blocks, body, strict=True):
        assert style == kinds[block.kind]
        assert text.startswith(block.text)
    caption = doc.paragraphs[4]
    assert [run.text for run in caption.runs] == ["开展廉洁主题教育", "\u3000摄/汪新"]
    # no direct formatting on the body: everything lives in the styles (a number or Latin
    # word is a run in the "Latin Text" character style)
    for p in doc.paragraphs:
        assert p._p.pPr is None or p._p.pPr.xpath("./*[not(self::w:pStyle)]") == []
        for run in p.runs:
            rpr = run._r.rPr
            assert rpr is None or [(c.tag, c.get(f"{{{W}}}val")) for c in rpr] == [
                (f"{{{W}}}rStyle", "LatinText")], run.text
            assert (rpr is not None) == bool(re.fullmatch(r"[0-9A-Za-z.%:/_-]+", run.text))
    names = {s.name for s in doc.styles}
    assert {"Byline", "Dateline", "Label", "Colophon"} <= names


def test_body_text_style() -> None:
    root = _styles(write_docx(simplified_article(), Options()))
    body = root.find("w:style[@w:styleId='BodyText']", NS)
    ind = body.find("w:pPr/w:ind", NS)
    assert ind.get(f"{{{W}}}firstLineChars") == "200"
    assert body.find("w:pPr/w:jc", NS).get(f"{{{W}}}val") == "both"
    for sid in ("Title", "Subtitle", "Heading2", "Caption"):
        style = root.find(f"w:style[@w:styleId='{sid}']", NS)
        assert style.find("w:rPr/w:color", NS) is None  # no theme colour left
        assert style.find("w:pPr/w:numPr", NS) is None


def test_header_footer() -> None:
    parts = _parts(write_docx(simplified_article(), Options()))
    header = "".join(etree.fromstring(parts["word/header1.xml"]).xpath("//w:t/text()",
                                                                       namespaces=NS))
    assert "重庆日报\u30002022年10月20日" in header
    footer = etree.fromstring(parts["word/footer1.xml"])
    instr = "".join(footer.xpath("//w:instrText/text()", namespaces=NS))
    assert instr.strip() == "PAGE"
    assert footer.xpath("//w:fldChar/@w:fldCharType", namespaces=NS) == [
        "begin", "separate", "end"
    ]  # fmt: skip


def test_core_properties_detail() -> None:
    data = write_docx(simplified_article(), Options())
    cp = Document(io.BytesIO(data)).core_properties
    assert cp.keywords == "奋进新时代; 新发展理念在重庆"
    assert cp.created.isoformat().startswith("2022-10-20T00:00:00")
    assert cp.modified == cp.created
    assert "001_7cc6b842f5fc215c.txt" in cp.comments and SHA in cp.comments
    assert custom_properties(data)["url"] == "https://example.org/a.html"


def test_reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = write_docx(simplified_article(), Options())
    time.sleep(1.1)  # a "now" anywhere (zip times, dates) would show up
    assert write_docx(simplified_article(), Options()) == first
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(2022, 10, 20, 0, 0, 0)}
        assert z.namelist()[0] == "[Content_Types].xml"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    with zipfile.ZipFile(io.BytesIO(write_docx(simplified_article(), Options()))) as z:
        assert z.infolist()[0].date_time[:3] == (2023, 11, 14)


def test_font_parameter_and_minimal_article() -> None:
    bare = Article(Metadata(), (Block("paragraph", "只有一段\x00正文。\x0b"),))
    data = write_docx(bare, Options(), east_asian_font="WenQuanYi Zen Hei")
    assert_chinese_styles(data, "zh-CN", font="WenQuanYi Zen Hei")
    assert_package_hygiene(data)
    doc = Document(io.BytesIO(data))
    assert doc.paragraphs[0].text == "只有一段正文。"  # XML-invalid controls dropped
    assert "docProps/custom.xml" not in _parts(data)  # nothing to say
    font_table = _parts(data)["word/fontTable.xml"].decode()
    assert 'w:name="WenQuanYi Zen Hei"' in font_table


def test_speed(rendered: dict[str, Rendered]) -> None:
    for r in rendered.values():
        print(f"{r.article.metadata.source_file}: build+save {r.seconds * 1000:.1f} ms, "
              f"{len(r.data) / 1024:.1f} KiB")  # fmt: skip
        assert r.seconds < 2.0


# --------------------------------------------------------------------------- seeds


@pytest.fixture(scope="session")
def seed_renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    from newsarchive.pipeline import normalize_file

    named: dict[str, Article] = {}
    try:
        for seed in SEEDS:
            for i, article in enumerate(normalize_file(seed, Options()), 1):
                named[f"{seed.stem}-{i}"] = article
    except NotImplementedError:
        pytest.skip("newsarchive.pipeline.normalize_file is not implemented yet")
    return _render_all(named, tmp_path_factory.mktemp("docx-seeds"))


def test_seeds(seed_renders: dict[str, Rendered]) -> None:
    assert seed_renders
    for name, r in seed_renders.items():
        try:
            check_article(r)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from exc


def test_runs_match_python_docx() -> None:
    """The lxml-built paragraphs carry what python-docx's add_run would (tabs, breaks, spaces)."""
    text = " 前导空格\t制表\n换行\r回车 尾随\u3000"
    bare = Article(Metadata(), (Block("paragraph", text),))
    body = Document(io.BytesIO(write_docx(bare, Options()))).paragraphs[0]
    expected = Document().add_paragraph()
    expected.add_run(text)
    assert etree.tostring(body._p.r_lst[0]) == etree.tostring(expected._p.r_lst[0])


AWKWARD_TEXTS = [
    "中&文<标签>\"引号\"'单'\u3000",  # what XML escapes
    "约 583 家企业 COVID-19 www.gov.cn 3.6%",  # numbers and Latin words: runs of their own
    "A&B <x>y</x> R&D\t2024\n年",
    "\x00\x01控制字符\ufffe\x0b",  # dropped
    "\x00",  # nothing left: one empty run
    " 前导 ",
]


@pytest.mark.parametrize("text", AWKWARD_TEXTS)
def test_runs_with_markup_characters_and_latin_words_match_python_docx(text: str) -> None:
    """The paragraphs, written as text and parsed once, are the elements python-docx's
    add_run makes: one run per stretch, the Latin ones in the Latin Text style."""
    from newsarchive.writers import docx

    bare = Article(Metadata(), (Block("paragraph", text),))
    got = Document(io.BytesIO(write_docx(bare, Options()))).paragraphs[0]._p
    expected = Document().add_paragraph()
    clean = docx._clean(text)
    pos = 0
    stretches: list[tuple[str, bool]] = []
    for m in docx._LATIN_RUN.finditer(clean):
        if m.start() > pos:
            stretches.append((clean[pos : m.start()], False))
        stretches.append((m.group(), True))
        pos = m.end()
    if pos < len(clean) or not clean:
        stretches.append((clean[pos:], False))
    for stretch, latin in stretches:
        run = expected.add_run(stretch)
        if latin:
            run._r.get_or_add_rPr().style = docx._style_id(docx.LATIN_STYLE)
    assert [etree.tostring(r) for r in got.r_lst] == [
        etree.tostring(r) for r in expected._p.r_lst]


def test_shared_parts_zip_as_zipfile_zips_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parts no article changes are shared with the template and deflated once per
    process, small members deflated once per content, content types and relationships
    serialised once per shape: the package is byte for byte the one zipfile makes
    deflating every member, with python-docx serialising every item (the bare article has
    no custom.xml, so other content types and package relationships, between the others)."""
    from newsarchive.writers import docx

    bare = Article(Metadata(), (Block("paragraph", "只有一段正文。"),))
    articles = [simplified_article(), bare, traditional_article(), simplified_article(), bare]
    fast = [write_docx(a, Options()) for a in articles]
    assert fast[0] == fast[3] and fast[1] == fast[4] and fast[0] != fast[1]
    plain = docx._package_bytes
    monkeypatch.setattr(docx, "_package_bytes",
                        lambda doc, when, compression, shared=None: plain(doc, when, compression))
    monkeypatch.setattr(docx, "_SMALL_MEMBER", -1)
    monkeypatch.setattr(docx, "_remembered", lambda key, make: make())
    assert [write_docx(a, Options()) for a in articles] == fast
    for data in fast:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            assert z.testzip() is None and "word/styles.xml" in z.namelist()


def test_template_cache_isolated() -> None:
    """Articles share a prepared template per (fonts, language): no state leaks between them."""
    hans, hant = simplified_article(), traditional_article()
    first = write_docx(hans, Options())
    other = write_docx(hant, Options())
    write_docx(hans, Options(), east_asian_font="WenQuanYi Zen Hei")
    assert write_docx(hant, Options()) == other
    assert write_docx(hans, Options()) == first
    assert_chinese_styles(other, "zh-TW", TRADITIONAL_EAST_ASIAN_FONT)
    # only the default table style is kept from the template's hundred (no tables here)
    tables = _styles(first).findall("w:style[@w:type='table']", NS)
    assert [s.get(f"{{{W}}}styleId") for s in tables] == ["TableNormal"]


def test_libreoffice_never_splits_a_number(tmp_path: Path) -> None:
    """LibreOffice's layout of every seed's DOCX (as PDF, then pdftotext): no line ends
    inside a number or Latin word ("5" / "83家" before the Latin Text character style)."""
    if not SOFFICE or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice and poppler-utils are needed")
    from newsarchive.pipeline import normalize_file

    names = []
    for seed in sorted((Path(__file__).resolve().parents[1] / "seeds").glob("*.txt")):
        for i, article in enumerate(normalize_file(seed)):
            names.append(f"{seed.stem}-{i}")
            (tmp_path / f"{names[-1]}.docx").write_bytes(write_docx(article, Options()))
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"),
         *(str(tmp_path / f"{n}.docx") for n in names)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    checked = 0
    for name in names:
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "pdf" / f"{name}.pdf"),
                               "-"], capture_output=True, text=True, check=True).stdout
        for page in text.split("\f"):
            lines = [ln.strip() for ln in page.splitlines() if ln.strip()][:-1]  # page number
            for a, b in itertools.pairwise(lines):
                checked += 1
                assert not (re.search(r"[0-9]$", a) and re.match(r"[0-9]", b)), (name, a, b)
    assert checked > 100
