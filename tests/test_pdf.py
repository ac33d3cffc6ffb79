"""PDF writer: fonts, text fidelity, kinsoku line breaking, tagging (structure tree read
back by poppler), PDF/A, metadata, font errors.

Every PDF is built once per session (``corpus``, at the default level 2a); PDFBox preflight
(PDF/A-1b, a second opinion beside veraPDF in test_verapdf.py) runs once over --pdfa 1b
copies of all of them (one JVM start) in ``preflight``.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from difflib import SequenceMatcher
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest

from newsarchive.errors import FontError
from newsarchive.model import Article, Block, Credit, Metadata
from newsarchive.options import Options
from newsarchive.writers.pdf import (
    DEFAULT_FONT,
    NO_END,
    NO_START,
    FontSpec,
    _byline,
    _dateline,
    break_lines,
    caption_parts,
    credit_line,
    normalise_for_compare,
    page_footer,
    printed_title,
    register_font,
    running_header,
    write_pdf,
)

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
CREATED = datetime(2025, 11, 20, 8, 30, 0, tzinfo=UTC)
JARS = ["preflight", "pdfbox2", "fontbox2", "xmpbox", "commons-logging", "javax.activation",
        "jaxb-api"]
PREFLIGHT_CP = ":".join(f"/usr/share/java/{j}.jar" for j in JARS)
PREFLIGHT_MAIN = "org.apache.pdfbox.preflight.Validator_A1b"

pytestmark = pytest.mark.skipif(
    not DEFAULT_FONT.is_file() or shutil.which("pdftotext") is None,
    reason="needs fonts-arphic-uming and poppler-utils",
)

# ----------------------------------------------------------------------------- articles

PARAS = [
    "“十四五”以来，沿滩区始终坚持以习近平新时代中国特色社会主义思想为指导，深入贯彻党的二十大"
    "精神，以高质量党建引领全局发展，凝聚起全区上下奋进新征程的强劲合力。五年间，党的建设成为推动"
    "沿滩各项事业发展的“红色引擎”，在盐都大地上描绘出一幅党建引领、全域提升的生动画卷。",
    "在乡村，构建起“村（社区）—小区（网格）—楼栋（院落）”三级党组织架构，全覆盖建立小区党组织，"
    "打造文坝小院等红色微阵地；深化“党旗领航·星火沿承”机关党建品牌培育，持续开展“双报到双服务"
    "双报告”等活动，在重大项目、攻坚专班等建立临时党组织、党员突击队。",
    "承办2024、2025知名高校四川人才活动、氟硅高质量发展大会，赴厦门等地举办产业项目人才对接会，"
    "主动“走出去”赴高校揽才100余次，汇聚各类产业人才3000余名，整合涉农资金3154.5万元定向扶持，"
    "推动“1+N”村企党支部结对共建，新就业群体服务矩阵覆盖COVID-19后复工的5G基站与GDP统计口径"
    "（见www.zg.gov.cn）。",
    "“以前办事跑好几趟，现在网格员上门帮办，面对面的讲解，真是太方便了！”谈起这几年社区的变化，"
    "居民王阿姨笑容满面。“建议被采纳，还能推动实际工作，这就是我们履职的价值所在。”一位党外人士"
    "感慨道……从“管理”到“治理”，从“单一”到“多元”——沿滩以党建为纽带，绘就了善治新图景。",
    "《我们的约定》赴省内多地巡演；《沿滩谣》《说唱沿滩》《盘滩过坳》等作品传得开，《说唱沿滩》"
    "获省级网络视听作品奖，实景演出吸引超5万人观看，服务时长超11.6万小时，占比达到37.5%。",
]


def realistic() -> Article:
    blocks = [
        Block("label", "讲故事 说变化>>>"),
        Block("paragraph", PARAS[0]),
        Block("heading", "组织体系全面延伸，筑牢基层发展根基"),
        Block("paragraph", PARAS[1]),
        Block("paragraph", PARAS[2]),
        Block("figure", "吉林大学专场活动现场，毕业生与企业面对面交流。", credit="汪新"),
        Block("heading", "治理有效：从“管理”到“治理”"),
        *(Block("paragraph", p) for p in PARAS[3:] * 3),
        Block("label", "链接》"),
        Block("paragraph", PARAS[0] + PARAS[2]),
    ]
    md = Metadata(
        title="党建引领聚合力 奋进沿滩新征程",
        subtitle="——沿滩区“十四五”党的建设工作综述",
        authors=("张三", "李四"),
        author_affiliation="（作者系沿滩区委组织部干部）",
        credits=(Credit("王五", "editor", "责任编辑"), Credit("赵六", "editor", "编审"),
                 Credit("汪新", "photographer", "摄")),
        newspaper="自贡日报",
        edition="第003版",
        page="3",
        section="奋进新时代",
        date="2025-11-20",
        url="https://example.org/zgrb/20251120/003.html",
        source_file="seeds/000_8a8d1d953e3f51ef.txt",
        source_sha256="8a8d1d953e3f51ef" * 4,
    )
    return Article(md, tuple(blocks))


def traditional() -> Article:
    md = Metadata(
        title="黨建引領聚合力 奮進沿灘新征程",
        subtitle="沿灘區“十四五”黨的建設工作綜述",
        authors=("張三",),
        newspaper="自貢日報",
        edition="第003版",
        date="2025-11-20",
        language="zh-Hant",
        source_script="zh-Hant",
    )
    paras = [
        "「十四五」以來，沿灘區始終堅持以高質量黨建引領全局發展，凝聚起全區上下奮進新征程的強勁合力。"
        "五年間，黨的建設成為推動沿灘各項事業發展的「紅色引擎」，在鹽都大地上描繪出一幅生動畫卷。",
        "面對資源分散、動力不足等難題，全區使出關鍵一招——成立黨建引領新型農村集體經濟發展專班。"
        "他們用兩個月時間走遍全區12個鄉鎮、90個村，開出『一村一策』良方300餘條。",
    ]
    blocks = [Block("paragraph", p) for p in paras * 3]
    blocks.insert(2, Block("heading", "人才強區：功以才成，業由才廣"))
    blocks.insert(3, Block("figure", "專場活動現場。", credit="汪新"))
    return Article(md, tuple(blocks))


CJK = "党建引领聚合力奋进新征程沿滩区始终坚持高质量发展人才强区治理有效文化繁荣"
CLOSERS = ["，", "。", "、", "；", "：", "？", "！", "”", "’", "）", "》", "」", "』", "】",
           "……", "——", "·", "。”", "！”", "？”", "”，", "）。", "》，", "』」"]
OPENERS = ["“", "‘", "（", "《", "「", "『", "【", "“《", "（“", "「『"]
LATIN = ["COVID-19", "3154.5", "2024", "GDP", "5G", "1+N", "100%", "www.zg.gov.cn"]


def stress_paragraph(rng: random.Random, n: int) -> str:
    """Text dense with closing/opening marks and Latin at every possible offset."""
    out: list[str] = []
    for _ in range(n):
        r = rng.random()
        if r < 0.45:
            out.append(rng.choice(CJK))
        elif r < 0.65:
            out.append(rng.choice(CLOSERS))
        elif r < 0.82:
            out.append(rng.choice(OPENERS) + rng.choice(CJK))
        else:
            out.append(rng.choice(LATIN))
    return "".join(out)


def stress() -> Article:
    rng = random.Random(20251120)
    blocks = [Block("paragraph", stress_paragraph(rng, rng.randint(40, 260))) for _ in range(14)]
    blocks.insert(4, Block("heading", "（一）“标点”压力测试：" + stress_paragraph(rng, 12)))
    blocks.insert(7, Block("figure", stress_paragraph(rng, 60), credit="摄/汪新"))
    md = Metadata(title="“标点”《压力》测试——" + stress_paragraph(rng, 20), authors=("测试",),
                  newspaper="测试日报", date="2025-01-01")
    return Article(md, tuple(blocks))


# ----------------------------------------------------------------------------- corpus


@dataclass
class Rendered:
    name: str
    article: Article
    pdf: Path
    font_size: float = 10.5
    options: Options | None = None

    def text(self) -> str:
        return subprocess.run(["pdftotext", "-enc", "UTF-8", str(self.pdf), "-"],
                              capture_output=True, text=True, check=True).stdout

    def body_lines(self) -> list[str]:
        """Extracted lines with each page's running header (first line, from page 2 on) and
        page number (last line) removed, both required to be exactly where they belong."""
        header = normalise_for_compare(running_header(self.article))
        pages = self.text().split("\f")
        if pages and not pages[-1].strip():
            pages.pop()
        lines: list[str] = []
        for number, page in enumerate(pages, start=1):
            page_lines = [ln for ln in page.splitlines() if ln.strip()]
            if number > 1:
                assert normalise_for_compare(page_lines[0]) == header, (number, page_lines[0])
                page_lines = page_lines[1:]
            assert page_lines[-1].strip() == page_footer(number, len(pages), self.article.metadata.language), (
                number, page_lines[-1])
            lines += page_lines[:-1]
        return lines


def _build(name: str, article: Article, font_size: float = 10.5,
           options: Options | None = None, out: Path | None = None) -> Rendered:
    assert out is not None
    data = write_pdf(article, options or Options(), font_size=font_size, created=CREATED)
    path = out / f"{name}.pdf"
    path.write_bytes(data)
    return Rendered(name, article, path, font_size, options)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    out = tmp_path_factory.mktemp("pdf")
    docs = {
        "realistic": _build("realistic", realistic(), out=out),
        "traditional": _build("traditional", traditional(), out=out),
        # No title, authors, newspaper or date: Info/XMP without Author, fallback header.
        "bare": _build("bare", Article(Metadata(), (Block("paragraph", PARAS[3]),)), out=out),
    }
    for size in (8.0, 9.0, 10.5, 12.0, 14.0, 17.5):
        name = f"stress-{size}"
        docs[name] = _build(name, stress(), size, out=out)
    return docs


def _seed_articles() -> list[tuple[str, Article]]:
    from newsarchive.pipeline import normalize_file

    found: list[tuple[str, Article]] = []
    try:
        for seed in SEEDS:
            for i, art in enumerate(normalize_file(seed)):
                found.append((f"{seed.stem}-{i}", art))
    except NotImplementedError:
        return []
    return found


@pytest.fixture(scope="session")
def seed_corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    out = tmp_path_factory.mktemp("seedpdf")
    return {name: _build(name, art, out=out) for name, art in _seed_articles()}


@pytest.fixture(scope="session")
def preflight(corpus: dict[str, Rendered], seed_corpus: dict[str, Rendered],
              tmp_path_factory: pytest.TempPathFactory) -> dict[str, bool]:
    """PDFBox preflight (PDF/A-1b) over a --pdfa 1b copy of every PDF, in one JVM:
    {file name: valid}."""
    if shutil.which("java") is None or not Path("/usr/share/java/preflight.jar").is_file():
        pytest.skip("PDFBox preflight (libpdfbox2-java + default-jre-headless) not installed")
    work = tmp_path_factory.mktemp("preflight")
    listing = work / "pdfs.txt"
    pdfs = [_build(r.name, r.article, r.font_size, Options(pdfa="1b"), work).pdf
            for r in (*corpus.values(), *seed_corpus.values())]
    listing.write_text("".join(f"{p}\n" for p in pdfs))
    proc = subprocess.run(["java", "-cp", PREFLIGHT_CP, PREFLIGHT_MAIN, "xml", "group",
                           str(listing)], capture_output=True, text=True, timeout=300)
    report = Path(f"{listing}.preflight.xml")
    assert report.is_file(), proc.stdout + proc.stderr
    results: dict[str, bool] = {}
    for node in ET.parse(report).getroot().iter("preflight"):
        valid = node.findtext("isValid") == "true"
        if not valid:
            print(ET.tostring(node, encoding="unicode"))
        results[Path(node.get("name", "")).name] = valid
    return results


# ----------------------------------------------------------------------------- checks


def check_fonts(r: Rendered) -> None:
    out = subprocess.run(["pdffonts", str(r.pdf)], capture_output=True, text=True,
                         check=True).stdout.splitlines()[2:]
    assert out, "no fonts"
    for row in out:
        cols = row.split()
        emb, sub, uni = cols[-5:-2]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row
        assert "Helvetica" not in row


def _in_order(small: str, big: str) -> bool:
    """Is ``small`` a subsequence of ``big``?"""
    it = iter(big)
    return all(ch in it for ch in small)


def printed(article: Article) -> list[str]:
    """What the PDF prints, in order: the article's text (plain_text: kicker, title,
    blocks) with the byline and dateline under the title, a figure label before each
    caption and its credit after it; a supplied title in 〔 〕."""
    md = article.metadata
    out = [t for t in (md.subtitle, printed_title(md), _byline(article), _dateline(article))
           if t]
    figures = 0
    for block in article.blocks:
        if block.kind == "figure" and block.text:
            figures += 1
            out.append(" ".join(p for p in caption_parts(block, figures, md.language) if p))
        elif block.text:
            out.append(block.text)
    return out


def fidelity(r: Rendered) -> float:
    """Share of the printed article's characters found, in order, in the extracted body
    text; asserts it is one contiguous run of it (only the colophon follows)."""
    parts = printed(r.article)
    expected = normalise_for_compare("".join(parts))
    # Every character of the article's own text is among what is printed, in order.
    own = normalise_for_compare(r.article.plain_text())
    assert _in_order(own, expected), r.name
    body = normalise_for_compare("".join(r.body_lines()))
    if expected not in body:
        diff = SequenceMatcher(None, expected, body, autojunk=False).get_opcodes()
        where = [(op, expected[i1:i2], body[j1:j2]) for op, i1, i2, j1, j2 in diff
                 if op != "equal"]
        pytest.fail(f"{r.name}: article text not contiguous in the extracted text: {where[:8]}")
    matcher = SequenceMatcher(None, expected, body, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return matched / len(expected)


def check_kinsoku(r: Rendered) -> None:
    """No line starts with a closing mark or ends with an opening one, except where the
    paragraph itself starts/ends so (a kicker "——…")."""
    parts = [normalise_for_compare(p) for p in printed(r.article)]
    for line in r.body_lines():
        text = normalise_for_compare(line)
        if text[0] in NO_START:
            assert any(p.startswith(text) for p in parts), f"line starts with {text[0]!r}: {text}"
        if text[-1] in NO_END:
            assert any(p.endswith(text) for p in parts), f"line ends with {text[-1]!r}: {text}"


def check_latin_whole(r: Rendered) -> None:
    lines = ["".join(ln.split()) for ln in r.body_lines()]
    joined = "\n".join(lines)
    for word in LATIN:
        if word in r.article.plain_text():
            assert word in joined.replace("\n", "") and all(
                not (ln.endswith(word[:k]) and lines[i + 1].startswith(word[k:]))
                for i, ln in enumerate(lines[:-1]) for k in range(1, len(word))
            ), f"{word} broken across lines"


# ----------------------------------------------------------------------------- tests


def test_fonts_embedded_subset_unicode(corpus: dict[str, Rendered]) -> None:
    for r in corpus.values():
        check_fonts(r)


def test_traditional_uses_tw_subfont(corpus: dict[str, Rendered]) -> None:
    r = corpus["traditional"]
    out = subprocess.run(["pdffonts", str(r.pdf)], capture_output=True,
                         text=True, check=True).stdout
    assert "UMingTW" in out and "UMingCN" not in out
    assert "圖1 專場活動現場。 攝/汪新" in [ln.strip() for ln in r.body_lines()]


def test_text_fidelity_is_total(corpus: dict[str, Rendered]) -> None:
    for r in corpus.values():
        assert fidelity(r) == 1.0, r.name


def test_no_prohibited_line_starts_or_ends(corpus: dict[str, Rendered]) -> None:
    for r in corpus.values():
        check_kinsoku(r)
        check_latin_whole(r)


def test_breaker_directly_at_many_widths() -> None:
    font = register_font(FontSpec(DEFAULT_FONT, 0))
    rng = random.Random(7)
    for _ in range(40):
        text = stress_paragraph(rng, 200)
        for width in (60.0, 97.0, 150.0, 233.5, 451.0):
            lines = break_lines(text, font, 10.5, width, first_indent=21.0)
            assert "".join(ln.text for ln in lines).replace(" ", "") == text.replace(" ", "")
            for i, ln in enumerate(lines):
                if i > 0:
                    assert ln.text[0] not in NO_START, ln.text
                if i < len(lines) - 1:
                    assert ln.text[-1] not in NO_END, ln.text
                if ln.width > width - ln.indent + 1e-6:
                    # Overfull (squeezed when drawn) only if kinsoku leaves no legal break.
                    t = ln.text
                    assert not any(t[i - 1] not in NO_END and t[i] not in NO_START
                                   for i in range(1, len(t))), t


def test_preflight_pdfa_1b(preflight: dict[str, bool], corpus: dict[str, Rendered],
                           seed_corpus: dict[str, Rendered]) -> None:
    for r in (*corpus.values(), *seed_corpus.values()):
        assert preflight.get(r.pdf.name) is True, r.name


def test_qpdf_check(corpus: dict[str, Rendered]) -> None:
    if shutil.which("qpdf") is None:
        pytest.skip("qpdf not installed")
    for r in corpus.values():
        proc = subprocess.run(["qpdf", "--check", str(r.pdf)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_info_xmp_and_outline(corpus: dict[str, Rendered]) -> None:
    r = corpus["realistic"]
    md = r.article.metadata
    with pikepdf.open(r.pdf) as pdf:
        assert pdf.pdf_version == "1.7"
        info = pdf.docinfo
        assert str(info.Title) == md.title
        assert "/Author" not in info  # two authors: dc:creator lists them, Info cannot
        assert str(info.Subject) == "自贡日报"
        assert str(info.CreationDate) == "D:20251120083000+00'00'"
        assert str(pdf.Root.Lang) == "zh-Hans"
        assert pdf.Root.MarkInfo.Marked is True
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
        raw = pdf.Root.Metadata.read_raw_bytes().decode("utf-8")  # uncompressed
        assert "<pdfaid:part>2</pdfaid:part>" in raw and "<pdfaid:conformance>A<" in raw
        assert "<pdfuaid:part>1</pdfuaid:part>" in raw
        meta = pdf.open_metadata()
        assert meta["dc:title"] == md.title
        assert meta["dc:creator"] == ["张三", "李四"]
        assert meta["xmp:CreateDate"] == "2025-11-20T08:30:00+00:00"
        assert "zh-Hans" in meta["dc:language"]
        assert len(pdf.Root.OutputIntents) == 1
        assert len(pdf.trailer.ID) == 2
        with pdf.open_outline() as outline:
            top = outline.root
            assert [str(t.title) for t in top] == [md.title]
            assert [str(t.title) for t in top[0].children] == [
                b.text for b in r.article.blocks if b.kind == "heading"]


def test_layout_elements_present(corpus: dict[str, Rendered]) -> None:
    text = normalise_for_compare(corpus["realistic"].text())
    for piece in ("《自贡日报》·第003版", "张三李四", "摄/汪新", "责任编辑：王五",
                  "SHA-256：" + "8a8d1d953e3f51ef" * 4, "newsarchive"):
        assert piece in text, piece
    # The colophon comes after the article's last paragraph.
    assert text.rindex("newsarchive") > text.rindex(normalise_for_compare(PARAS[2][-20:]))


def test_reproducible(tmp_path: Path) -> None:
    a = write_pdf(realistic(), Options(), created=CREATED)
    b = write_pdf(realistic(), Options(), created=CREATED)
    assert a == b


def test_glyph_missing_from_every_face_is_a_font_error_naming_the_input() -> None:
    art = realistic()
    # U+31350 (CJK Extension H, Unicode 15) and U+1F9A9 (Unicode 12): newer than every face.
    bad = art.evolve(blocks=[*art.blocks, Block("paragraph", "生僻字\U00031350与表情🦩。")])
    with pytest.raises(FontError) as err:
        write_pdf(bad, Options(), created=CREATED)
    message = str(err.value)
    assert message.startswith(art.metadata.source_file + ": "), message
    assert "U+31350" in message and "U+1F9A9" in message and "AR PL UMing CN" in message
    assert "\n" not in message


def test_fallback_faces_and_latin_face(tmp_path: Path) -> None:
    """Characters UMing lacks come from the declared fallbacks, Latin from the Latin face;
    each face embedded as a subset, and the text extracts back."""
    extra = "爲❶◀𠀀\U0002B820与COVID-19和3154.5万元"  # U+2B820: Extension E
    art = realistic()
    art = art.evolve(blocks=[*art.blocks, Block("paragraph", extra)])
    r = _build("fallback", art, out=tmp_path)
    fonts = subprocess.run(["pdffonts", str(r.pdf)], capture_output=True, text=True,
                           check=True).stdout
    for face in ("UMingCN", "HanaMinA", "HanaMinB", "LiberationSerif"):
        assert face in fonts, fonts
    check_fonts(r)
    assert fidelity(r) == 1.0
    assert normalise_for_compare(extra) in normalise_for_compare(r.text())


def test_font_option_with_index(tmp_path: Path) -> None:
    path = tmp_path / "tw.pdf"
    path.write_bytes(write_pdf(realistic(), Options(font=f"{DEFAULT_FONT}:2"), created=CREATED))
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "UMingTW" in out


def test_cff_font_is_rejected_clearly(tmp_path: Path) -> None:
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.t2CharStringPen import T2CharStringPen

    pen = T2CharStringPen(600, None)
    pen.moveTo((0, 0))
    pen.lineTo((500, 0))
    pen.lineTo((500, 500))
    pen.closePath()
    fb = FontBuilder(1000, isTTF=False)
    fb.setupGlyphOrder([".notdef", "uni4E2D"])
    fb.setupCharacterMap({0x4E2D: "uni4E2D"})
    fb.setupCFF("TestCFF", {"FullName": "TestCFF"},
                {".notdef": pen.getCharString(), "uni4E2D": pen.getCharString()}, {})
    fb.setupHorizontalMetrics({".notdef": (600, 0), "uni4E2D": (600, 0)})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": "TestCFF", "styleName": "Regular"})
    fb.setupOS2()
    fb.setupPost()
    otf = tmp_path / "test.otf"
    fb.save(str(otf))
    with pytest.raises(FontError, match="CFF"):
        write_pdf(realistic(), Options(font=str(otf)), created=CREATED)


def test_bad_font_paths() -> None:
    with pytest.raises(FontError):
        write_pdf(realistic(), Options(font="/nonexistent/font.ttf"), created=CREATED)
    with pytest.raises(FontError, match="index"):
        write_pdf(realistic(), Options(font=f"{DEFAULT_FONT}:9"), created=CREATED)


def test_seeds_end_to_end(seed_corpus: dict[str, Rendered]) -> None:
    """Every seed through normalize_file -> write_pdf, with all the checks above."""
    if not seed_corpus:
        pytest.skip("newsarchive.pipeline.normalize_file not implemented yet")
    for r in seed_corpus.values():
        check_fonts(r)
        assert fidelity(r) == 1.0, r.name
        check_kinsoku(r)
        subprocess.run(["qpdf", "--check", str(r.pdf)], capture_output=True, check=True)


def test_pdfa_3b_with_attachment(tmp_path: Path) -> None:
    tei = b"<TEI xmlns='http://www.tei-c.org/ns/1.0'/>"
    data = write_pdf(realistic(), Options(pdfa="3b"), created=CREATED,
                     attachments={"article.tei.xml": tei})
    path = tmp_path / "a3.pdf"
    path.write_bytes(data)
    with pikepdf.open(path) as pdf:
        assert pdf.pdf_version == "1.7"
        assert "<pdfaid:part>3</pdfaid:part>" in pdf.Root.Metadata.read_bytes().decode()
        assert pdf.attachments["article.tei.xml"].get_file().read_bytes() == tei
        assert pdf.Root.AF[0].AFRelationship == pikepdf.Name.Source
    assert re.search(rb"/GTS_PDFA1", data)


def test_pdfa_2b_version_and_part() -> None:
    data = write_pdf(realistic(), Options(pdfa="2b"), created=CREATED,
                     attachments={"ignored.xml": b"<x/>"})
    with pikepdf.open(BytesIO(data)) as pdf:
        assert pdf.pdf_version == "1.7"
        assert "<pdfaid:part>2</pdfaid:part>" in pdf.Root.Metadata.read_bytes().decode()
        assert len(pdf.attachments) == 0  # PDF/A-2 allows only PDF/A attachments


def test_pdfa_1b_is_tagged_but_not_ua(tmp_path: Path) -> None:
    art = realistic()
    single = art.evolve(metadata=Metadata(**{**art.metadata.__dict__, "authors": ("张三",)}))
    data = write_pdf(single, Options(pdfa="1b"), created=CREATED)
    with pikepdf.open(BytesIO(data)) as pdf:
        assert pdf.pdf_version == "1.4"
        assert str(pdf.docinfo.Author) == "张三"  # one author: Info mirrors dc:creator
        raw = pdf.Root.Metadata.read_raw_bytes().decode("utf-8")
        assert "<pdfaid:part>1</pdfaid:part>" in raw and "<pdfaid:conformance>B<" in raw
        assert "pdfuaid" not in raw  # PDF/UA-1 needs PDF 1.7
        assert "/StructTreeRoot" in pdf.Root


# ----------------------------------------------------------------------------- structure


def struct_tree(path: Path) -> list[tuple[int, str, str]]:
    """poppler's reading of the structure tree (role map resolved): (depth, type, text)
    for every element, its text the marked content it owns directly, in order."""
    out = subprocess.run(["pdfinfo", "-struct-text", str(path)], capture_output=True,
                         text=True, check=True).stdout
    rows: list[list] = []
    for line in out.splitlines():
        depth = (len(line) - len(line.lstrip(" "))) // 2
        item = line.strip()
        if item.startswith('"'):  # one string per MCID, indented under its element
            owner = next(row for row in reversed(rows) if row[0] == depth - 1)
            owner[2] += item[1:-1]
        elif item:
            rows.append([depth, item.split()[0], ""])
    return [(d, t, x) for d, t, x in rows]


def expected_structure(article: Article) -> list[tuple[str, str]]:
    """(type, text) the tree must hold, in reading order, from the article itself."""
    md = article.metadata
    rows: list[tuple[str, str]] = []
    if md.subtitle:
        rows.append(("P", md.subtitle))
    if md.title:
        rows.append(("H1", printed_title(md)))
    rows += [("P", t) for t in (_byline(article), _dateline(article)) if t]
    kinds = {"heading": "H2" if md.title else "H1", "label": "Lbl", "figure": "Caption"}
    rows += [(kinds.get(b.kind, "P"), b.text) for b in article.blocks if b.text]
    return rows


def check_structure(r: Rendered) -> None:
    tree = struct_tree(r.pdf)
    assert tree[0][:2] == (0, "Document"), tree[:2]
    # Everything of the article's own, in order; then the colophon (a Sect) closes it.
    found = [(t, normalise_for_compare(x)) for d, t, x in tree if (d == 1 and x) or t == "Caption"]
    want = [(t, normalise_for_compare(x)) for t, x in expected_structure(r.article)]
    assert found[:len(want)] == want, next(
        (i, f, w) for i, (f, w) in enumerate(zip(found, want, strict=False)) if f != w)
    # A caption sits in a Figure (with replacement text) and owns its credit.
    for i, (depth, kind, _) in enumerate(tree):
        if kind == "Caption":
            assert tree[i - 1][:2] == (depth - 1, "Figure")
    lang = r.article.metadata.language
    figures = [b for b in r.article.blocks if b.kind == "figure" and b.text]
    credits = [normalise_for_compare(x) for _, t, x in tree if t == "Span"]
    assert credits == [normalise_for_compare(credit_line(b, lang)) for b in figures if b.credit]
    labels = [x for d, t, x in tree if t == "Lbl" and d == 3]  # inside Figure/Caption
    assert labels == [caption_parts(b, n, lang)[0] for n, b in enumerate(figures, 1)]
    assert tree[-1][1] == "P" and "newsarchive" in tree[-1][2]
    assert any(t == "Sect" for _, t, _ in tree)


def test_structure_tree_in_reading_order(corpus: dict[str, Rendered],
                                         seed_corpus: dict[str, Rendered]) -> None:
    out = subprocess.run(["pdfinfo", str(corpus["realistic"].pdf)], capture_output=True,
                         text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", out, re.M), out
    for r in (*corpus.values(), *seed_corpus.values()):
        check_structure(r)


def test_page_furniture_is_artifact(corpus: dict[str, Rendered]) -> None:
    """Header, footer and rules are /Artifact; every text-showing operator is inside
    marked content, nothing of the header or page numbers is in the structure tree."""
    r = corpus["realistic"]
    tree_text = "".join(x for _, _, x in struct_tree(r.pdf))
    assert normalise_for_compare(running_header(r.article)) not in normalise_for_compare(
        tree_text)
    assert "第1页" not in normalise_for_compare(tree_text)
    with pikepdf.open(r.pdf) as pdf:
        for page in pdf.pages:
            depth, kinds = 0, []
            for operands, op in pikepdf.parse_content_stream(page):
                if str(op) in ("BDC", "BMC"):
                    depth += 1
                    kinds.append(str(operands[0]))
                elif str(op) == "EMC":
                    depth -= 1
                elif str(op) in ("Tj", "TJ", "'", '"', "S", "f", "B", "Do", "re"):
                    assert depth > 0, f"{op} outside marked content"
            assert depth == 0
            assert kinds.count("/Artifact") >= 1


# ----------------------------------------------------------------------------- Traditional

TRADITIONAL = ("hant", "hant-tw", "hant-hk")


@pytest.fixture(scope="session")
def hant_corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """Every seed in each Traditional target, through the whole normaliser."""
    from newsarchive.pipeline import normalize_file

    out = tmp_path_factory.mktemp("hantpdf")
    made = {}
    for script in TRADITIONAL:
        for seed in SEEDS:
            for i, art in enumerate(normalize_file(seed, Options(script=script))):
                name = f"{script}-{seed.stem}-{i}"
                made[name] = _build(name, art, options=Options(script=script), out=out)
    return made


def test_traditional_editions_of_every_seed(hant_corpus: dict[str, Rendered]) -> None:
    """Glyph coverage (write_pdf checks it), fidelity 100 %, kinsoku, embedded fonts and
    the regional forms: s2t's 爲/裏 for plain hant, Taiwan 為/裡, Hong Kong 為/裏."""
    assert len(hant_corpus) >= len(TRADITIONAL) * len(SEEDS)
    # s2t has 爲 (為 only in a few phrases of its dictionary, e.g. 成為).
    forms = {"hant": ("爲", "\0"), "hant-tw": ("為", "爲"), "hant-hk": ("為", "爲")}
    subfont = {"hant": "UMingTW", "hant-tw": "UMingTW", "hant-hk": "UMingHK"}
    seen: dict[str, str] = {s: "" for s in TRADITIONAL}
    for name, r in hant_corpus.items():
        script = next(s for s in sorted(TRADITIONAL, key=len, reverse=True)
                      if name.startswith(s + "-"))
        check_fonts(r)
        assert fidelity(r) == 1.0, name
        check_kinsoku(r)
        text = r.text()
        seen[script] += text
        assert subfont[script] in subprocess.run(["pdffonts", str(r.pdf)], capture_output=True,
                                                 text=True, check=True).stdout, name
        assert "摄" not in text and "来源文件" not in text, name  # our words converted too
    for script, (kept, never) in forms.items():
        assert kept in seen[script] and never not in seen[script], script
    assert "裡" in seen["hant-tw"] and "裏" not in seen["hant-tw"]
    assert "裏" in seen["hant-hk"]


@pytest.mark.parametrize("script", TRADITIONAL)
def test_convert_seeds_in_traditional(script: str, tmp_path: Path) -> None:
    import sys

    proc = subprocess.run([sys.executable, "-m", "newsarchive", "convert", str(ROOT / "seeds"),
                           "-r", "-o", str(tmp_path), "--script", script, "-q", "-j", "1"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert len(list(tmp_path.glob("*.pdf"))) == len(list(tmp_path.glob("*.tei.xml"))) >= 5


def test_unsettable_character_still_writes_tei_and_docx(tmp_path: Path) -> None:
    import sys

    page = tmp_path / "rare.txt"
    page.write_text("生僻字\U00031350在此。\n" + "这是一段正文，用来测试。" * 6 + "\n", "utf-8")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "newsarchive", "convert", str(page), "-o",
                           str(out), "-q"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 3, proc.stderr  # every input failed
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{page}: no glyph"), proc.stderr
    assert "U+31350" in lines[0]
    assert sorted(p.name for p in out.iterdir()) == ["rare.docx", "rare.tei.xml"]


def test_punctuation_compression() -> None:
    """Adjacent full-width marks keep half an em of blank between their inks (clreq), a
    closing mark at a line end does not count its trailing blank; other text is untouched."""
    from newsarchive.writers.pdf import MAX_SQUEEZE, PUNCT_GAP, _blank, _kern, _width

    font = register_font(FontSpec(DEFAULT_FONT, 0))
    size = 10.0
    assert _width("党建", font, size) == pytest.approx(2 * size)
    for pair in ("。“", "，“", "）。", "”，", "《「"):
        a, b = pair
        gap = _blank(font, a)[1] + _blank(font, b)[0]
        squeeze = min(max(gap - PUNCT_GAP, 0.0), MAX_SQUEEZE)
        assert _kern(font, a, b) == pytest.approx(-squeeze), pair
        assert _width(pair, font, size) == pytest.approx((2 - squeeze) * size), pair
    assert _kern(font, "，", "“") < -0.4  # UMing's comma + opening quote: a 1.3 em hole
    # A justified line ending with a comma does not count its blank (at most half an em).
    lines = break_lines("党" * 14 + "，" + "建" * 30, font, size, 150.0)
    ends = [ln for ln in lines if ln.text.endswith("，")]
    assert ends and len(ends[0].text) == 15  # the comma's blank would not have fitted
    for ln in ends:
        natural = _width(ln.text, font, size)
        assert ln.width == pytest.approx(natural - min(_blank(font, "，")[1], 0.5) * size)


def test_lang_per_element_where_the_script_changes(tmp_path: Path) -> None:
    """A Simplified article keeping a Traditional paragraph (--script keep): that
    paragraph's element says zh-Hant; the others inherit the document's zh-Hans."""
    md = Metadata(title="标题", language="zh-Hans", source_script="zh-Hans")
    quote = "「十四五」以來，沿灘區始終堅持以高質量黨建引領全局發展，凝聚起奮進新征程的強勁合力。"
    art = Article(md, (Block("paragraph", PARAS[0]), Block("paragraph", quote)))
    r = _build("mixed", art, out=tmp_path)
    with pikepdf.open(r.pdf) as pdf:
        assert str(pdf.Root.Lang) == "zh-Hans"
        doc = pdf.Root.StructTreeRoot.K[0]
        paras = [k for k in doc.K if k.S == pikepdf.Name.P and "/Lang" not in k]
        tagged = [k for k in doc.K if "/Lang" in k]
        assert [str(k.Lang) for k in tagged] == ["zh-Hant"] and tagged[0].S == pikepdf.Name.P
        assert len(paras) >= 1


def test_cid_font_programs_keep_every_glyph() -> None:
    """pdffonts.Subsetter's programs: glyph i is the face's glyph chosen[i] (outline, with
    composites' components resolved, and metrics), a glyph chosen twice is there twice, and
    the components of composite glyphs (Liberation's accented letters, DejaVu's) follow."""
    from fontTools.ttLib import TTFont as FTFont
    from reportlab.pdfbase import pdfmetrics

    from newsarchive.writers.pdf import _outlines, font_chain
    from newsarchive.writers.pdffonts import Subsetter

    chain = font_chain(Options(), "zh-Hans")
    rng = random.Random(17)
    composites = components = 0
    for spec in (chain.main, chain.latin, *chain.fallbacks):
        if spec is None:
            continue
        face = pdfmetrics.getFont(register_font(spec)).face
        original = _outlines(spec)
        glyf, hmtx, order = original["glyf"], original["hmtx"], original.getGlyphOrder()
        subsetter = Subsetter(face)
        gids = sorted(set(face.charToGlyph.values()))
        for _ in range(4):
            chosen = [0, *rng.sample(gids, min(300, len(gids)))]
            chosen.append(chosen[5])  # two characters, one outline
            data, glyph_map = subsetter.program(chosen)
            assert glyph_map[:len(chosen)] == chosen
            ours = FTFont(BytesIO(data))
            assert ours["maxp"].numGlyphs == len(glyph_map)
            new_order = ours.getGlyphOrder()
            for new, old in enumerate(glyph_map):
                mine, theirs = ours["glyf"][new_order[new]], glyf[order[old]]
                assert mine.getCoordinates(ours["glyf"])[0] == theirs.getCoordinates(glyf)[0]
                assert ours["hmtx"][new_order[new]] == hmtx[order[old]], (spec, old)
                if theirs.isComposite():
                    composites += 1
                    assert [glyph_map[new_order.index(c.glyphName)] for c in mine.components] \
                        == [order.index(c.glyphName) for c in theirs.components]
            components += len(glyph_map) - len(chosen)
    assert composites and components, "no composite glyph met: renumbering went untested"


def test_to_unicode_cmap_and_widths_read_back() -> None:
    """The ToUnicode CMap (bfchar and bfrange, at most 100 entries a block, UTF-16 with
    surrogate pairs) and the compact /W array give back every CID's text and width."""
    from reportlab.lib.rl_accel import fp_str

    from newsarchive.writers.pdffonts import cid_set, to_unicode_cmap, widths_array

    rng = random.Random(3)
    texts = [*"0123456789", *"中文字", "\U00020000", "\U0002B820", *"ABC",
             *(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(330)), *"xyz{|}~"]
    cmap = to_unicode_cmap(texts).decode("ascii")
    back: dict[int, str] = {}
    for kind, body in re.findall(r"\d+ begin(bfchar|bfrange)\n(.*?)\nend\1", cmap, re.S):
        entries = body.splitlines()
        assert 1 <= len(entries) <= 100
        for entry in entries:
            codes = [int(h, 16) for h in re.findall(r"<([0-9A-F]{4})>", entry)]
            dest = bytes.fromhex(re.findall(r"<([0-9A-F]+)>", entry)[-1]).decode("utf-16-be")
            if kind == "bfchar":
                back[codes[0]] = dest
            else:
                assert codes[0] >> 8 == codes[1] >> 8
                for k in range(codes[1] - codes[0] + 1):
                    back[codes[0] + k] = chr(ord(dest) + k)
    assert back == {cid: t for cid, t in enumerate(texts, 1)}
    assert "beginbfrange" in cmap  # the digits, "ABC", "xyz{|}~"

    widths = [1000, 1000, 500, 333.0078125, 1000, 250, 1000, 1000, 0, 600] * 40
    default, array = widths_array(widths)
    assert default == 1000
    got = dict.fromkeys(range(1, len(widths) + 1), default)
    for first, run in re.findall(r"(\d+) \[([^\]]*)\]", array.decode()):
        for k, w in enumerate(run.split()):
            got[int(first) + k] = float(w)
    assert got == {cid: float(fp_str(w)) for cid, w in enumerate(widths, 1)}  # as reportlab
    assert cid_set(10) == b"\xff\xc0" and cid_set(16) == b"\xff\xff"


def test_each_face_embedded_once_as_a_cid_font(tmp_path: Path) -> None:
    """One Type0 font (Identity-H, CIDFontType2, Identity CIDToGIDMap) per face used, whatever
    the number of characters; Extension B text and a composite glyph (é in Liberation
    Serif) extract back; the subset tags follow the glyphs; a CIDSet only at PDF/A-1."""
    from fontTools.ttLib import TTFont as FTFont

    extra = "𠀀𠀁\U0002A6D6爲 Café Ångström ā"
    art = realistic()
    art = art.evolve(blocks=[*art.blocks, Block("paragraph", extra)])
    for level in ("1b", "2a"):
        r = _build(f"cid-{level}", art, options=Options(pdfa=level), out=tmp_path)
        check_fonts(r)
        assert normalise_for_compare(extra) in normalise_for_compare(r.text())
        with pikepdf.open(r.pdf) as pdf:
            fonts = list(pdf.pages[0].Resources.Font.values())
            names = [str(f.BaseFont).split("+", 1)[1] for f in fonts]
            assert len(set(names)) == len(names) == 4, names  # UMing, Liberation, HanaMin A/B
            for font in fonts:
                assert (font.Subtype, font.Encoding) == ("/Type0", "/Identity-H")
                (cid,) = font.DescendantFonts
                assert (cid.Subtype, cid.CIDToGIDMap) == ("/CIDFontType2", "/Identity")
                assert re.fullmatch(r"/[A-Z]{6}\+\S+", str(cid.BaseFont))
                assert ("/CIDSet" in cid.FontDescriptor) == (level == "1b")
                program = FTFont(BytesIO(cid.FontDescriptor.FontFile2.read_bytes()))
                if "Liberation" in str(font.BaseFont):
                    glyf = program["glyf"]
                    assert any(glyf[n].isComposite() for n in program.getGlyphOrder())
    other = _build("cid-other", realistic(), out=tmp_path)
    with pikepdf.open(other.pdf) as a, pikepdf.open(tmp_path / "cid-2a.pdf") as b:
        tags = [{str(f.BaseFont) for f in p.pages[0].Resources.Font.values()} for p in (a, b)]
        # The extra text adds glyphs to Liberation (and the HanaMins) but none to UMing (its
        # CJK characters are UMing's gaps): another glyph set, another tag; the same, the same.
        assert {t.split("+")[1] for t in tags[0]} == {"UMingCN-0", "LiberationSerif"}
        assert [t for t in tags[0] if "UMing" in t] == [t for t in tags[1] if "UMing" in t]
        assert len(tags[0] | tags[1]) == 5
