"""The review page: every kind of edit rendered for the seeds, in a real browser (headless
Chromium), as valid HTML5 that makes no network request and escapes what the scrape holds."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import html as lxml_html

from newsarchive.model import Article
from newsarchive.review import article_view, edit_kind, pages_dir, write_review

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HOSTILE = (
    '<script>alert("x")</script> 测试 & <b>标题</b>\n\n'
    "正文第一句里有<img src=http://evil.example/x.png>和&amp;,还有\x01控制符\u200b。\n"
)


@pytest.fixture(scope="session")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """All seeds (plus one hostile input and one unreadable one) reviewed: an index page and
    one page per input."""
    folder = tmp_path_factory.mktemp("review")
    hostile = folder / "zz_hostile.txt"
    hostile.write_text(HOSTILE, "utf-8")
    broken = folder / "zz_binary.txt"
    broken.write_bytes(b"%PDF-1.4 not an article")
    index = folder / "out" / "review.html"
    written = write_review([*map(str, SEEDS), str(hostile), str(broken)], index)
    pages = sorted(pages_dir(index).iterdir())
    return {
        "path": index,
        "html": index.read_text("utf-8"),
        "pages": pages,
        "page_html": [p.read_text("utf-8") for p in pages],
        "written": written,
    }


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        # Any name lookup fails: a page that needs the network would show it.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="session")
def browser(
    report: dict[str, object], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, object]:
    """Open the index and every page in Chromium to dump the rendered DOM; a screenshot of
    the index."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed")
    path, pages = report["path"], report["pages"]
    assert isinstance(path, Path) and isinstance(pages, list)
    profile = tmp_path_factory.mktemp("chromium-profile")
    doms = {}
    for page in [path, *pages]:
        dumped = _chromium(["--dump-dom", page.as_uri()], profile)
        assert dumped.returncode == 0, dumped.stderr[-2000:]
        doms[page] = lxml_html.fromstring(dumped.stdout)
    shot = path.with_suffix(".png")
    taken = _chromium([f"--screenshot={shot}", "--window-size=1400,2000", path.as_uri()], profile)
    assert taken.returncode == 0, taken.stderr[-2000:]
    return {
        "dom": doms.pop(path),
        "pages": doms,
        "screenshot": shot,
    }


def _article(browser: dict[str, object], stem: str, story: int = 1) -> lxml_html.HtmlElement:
    """The article of input ``stem`` (story ``story``), from whichever page holds it."""
    pages = browser["pages"]
    assert isinstance(pages, dict)
    found = [
        a
        for dom in pages.values()
        for a in dom.xpath(
            f'//article[contains(@id, "-{stem}") and substring(@id, '
            f'string-length(@id) - string-length("-{story}") + 1) = "-{story}"]'
        )
    ]
    every = [a.get("id") for dom in pages.values() for a in dom.xpath("//article")]
    assert len(found) == 1, (stem, story, every)
    return found[0]


def _has_class(name: str) -> str:
    return f'contains(concat(" ", normalize-space(@class), " "), " {name} ")'


def _texts(nodes: list[lxml_html.HtmlElement]) -> list[str]:
    return [node.text_content() for node in nodes]


# ---------------------------------------------------------------- each kind, in the browser


def test_chrome_removed_with_rule_id(browser: dict[str, object]) -> None:
    art = _article(browser, "001_7cc6b842f5fc215c")
    struck = art.xpath(f".//div[{_has_class('line')} and {_has_class('chrome')}]")
    assert len(struck) >= 10
    text = "\n".join(_texts(struck))
    for rule in ("nav.words", "masthead.newspaper", "footer.copyright", "title.repeat"):
        assert rule in text
    assert "上一版 下一版" in text  # the removed line itself stays, struck, in place
    effects = _texts(art.xpath(f".//span[{_has_class('badge')} and {_has_class('chrome')}]"))
    assert any("newspaper=重庆日报" in e for e in effects)  # and where its facts went


@pytest.mark.parametrize(("stem", "story", "minimum"), [("003_", 1, 5), ("004_", 1, 8)])
def test_join_marks(browser: dict[str, object], stem: str, story: int, minimum: int) -> None:
    art = _article(browser, stem, story)
    marks = art.xpath(f'.//td[@class="out"]//span[{_has_class("jm")}]')
    assert len(marks) >= minimum
    assert all(m.text_content().startswith("↩") and m.get("title") for m in marks)


def test_lifted_caption(browser: dict[str, object]) -> None:
    art = _article(browser, "003_", 1)
    row = art.xpath('.//tr[contains(@id, "-L21")]')[0]
    blocks = row.xpath(f".//div[{_has_class('block')}]")
    assert [b.get("class").split()[1] for b in blocks] == ["k-paragraph", "k-figure"]
    assert "江津区支柱产业党建联盟在白沙工业园召开推介会" in blocks[1].text_content()
    assert row.xpath(f".//span[{_has_class('lift')}]")  # marked on both sides
    assert "caption lifted" in row.xpath('.//td[@class="src"]')[0].text_content()


def test_credits_moved_into_metadata(browser: dict[str, object]) -> None:
    art = _article(browser, "000_")
    lines = _texts(art.xpath(f".//div[{_has_class('line')} and {_has_class('credit')}]"))
    assert any("责任编辑:金艳" in t for t in lines)
    trailing = _texts(art.xpath(f".//span[{_has_class('t')}]/span[{_has_class('credit')}]"))
    assert "(韩慧林)" in trailing  # struck inside the kept closing paragraph
    meta = {r[0]: r for r in _meta(art)}
    assert meta["authors"][1] == "韩慧林" and meta["authors"][2] == "text"
    art = _article(browser, "001_")
    assert "摄/汪新" in _texts(
        art.xpath(f".//span[{_has_class('t')}]/span[{_has_class('credit')}]")
    )
    meta = {r[0]: r for r in _meta(art)}
    assert "王静" in meta["authors"][1] and meta["authors"][3] == "L124"
    # Traditional source with glosses inside: the Simplified credit is still found in place.
    art = _article(browser, "002_")
    struck = art.xpath(f".//span[{_has_class('t')}]/span[{_has_class('credit')}]")
    assert "".join(_texts(struck)).startswith("(作者系中共遂寧市安居區(qū)委書記)")


def _meta(art: lxml_html.HtmlElement) -> list[list[str]]:
    return [
        [c.text_content().strip() for c in row.xpath("./th|./td")]
        for row in art.xpath('.//table[@class="meta"]/tbody/tr')
    ]


def test_metadata_sources(browser: dict[str, object]) -> None:
    meta = {r[0]: r for r in _meta(_article(browser, "001_"))}
    assert meta["newspaper"][1:] == ["重庆日报", "chrome", "L7"]
    assert meta["date"][1:] == ["2022-10-20", "chrome", "L10"]
    assert meta["title"][2] == "text" and meta["language"][2] == "derived"
    meta = {r[0]: r for r in _meta(_article(browser, "002_"))}
    assert meta["title"][2] == "derived" and meta["title_supplied"][1] == "True"


def test_opencc_conversion_with_original_in_tooltip(browser: dict[str, object]) -> None:
    art = _article(browser, "002_")
    marks = art.xpath(f'.//td[@class="out"]//span[{_has_class("opencc")}]')
    assert len(marks) > 50
    tips = {m.text_content(): m.get("title") for m in marks}
    assert "党" in tips and "“黨”" in tips["党"] and "opencc.t2s" in tips["党"]
    assert all(m.get("data-was") for m in marks)  # printed where there is no tooltip


def test_punctuation_char_level(browser: dict[str, object]) -> None:
    art = _article(browser, "000_")
    marks = art.xpath(f'.//td[@class="out"]//span[{_has_class("punct")}]')
    assert len(marks) > 100
    first = marks[0]
    assert first.text_content() == "，" and "was “,”" in first.get("title")


def test_pinyin_glosses(browser: dict[str, object]) -> None:
    art = _article(browser, "002_")
    glosses = _texts(art.xpath(f'.//td[@class="src"]//span[{_has_class("pinyin")}]'))
    assert "(bào)" in glosses and len(glosses) > 50
    assert "bào" not in "".join(_texts(art.xpath('.//td[@class="out"]')))


def test_doubtful_flag(browser: dict[str, object], report: dict[str, object]) -> None:
    dom = browser["dom"]
    art = _article(browser, "003_", 1)
    rows = art.xpath('.//tr[contains(@class, "doubtful-row")]')
    assert len(rows) == 1 and rows[0].get("id").endswith("-L29")
    assert rows[0].xpath(f".//span[{_has_class('jm')} and {_has_class('doubtful')}]")
    # The index lists flagged articles first, linking to the row to check on its page.
    first = dom.xpath('//table[@class="batch"]/tbody/tr')[0]
    assert "flagged" in first.get("class")
    page = next(p for p in report["pages"] if "-003_" in p.name)  # type: ignore[attr-defined]
    assert first.xpath(f'.//a[@href="review-pages/{page.name}#{rows[0].get("id")}"]')
    assert f"review-pages/{page.name}#{art.get('id')}" in first.xpath(".//a/@href")


def _target(index: Path, href: str) -> tuple[Path, str]:
    page, _, fragment = href.partition("#")
    return (index.parent / page).resolve(), fragment


def test_counts_legend_and_overview(browser: dict[str, object], report: dict[str, object]) -> None:
    dom = browser["dom"]
    pages = browser["pages"]
    assert isinstance(pages, dict)
    legend = " ".join(_texts(dom.xpath('//section[@class="legend"]//li')))
    for label in ("chrome removed", "lines joined", "OpenCC converted", "check this"):
        assert label in legend
    links = dom.xpath('//table[@class="batch"]/tbody/tr/td[2]/a/@href')
    index = report["path"]
    assert isinstance(index, Path)
    shown = {(page.resolve(), a.get("id")) for page, d in pages.items() for a in d.xpath("//article")}
    assert sorted(_target(index, link) for link in links) == sorted(shown)
    assert len(links) == 7  # six seed articles (003 is two stories) + the hostile one
    assert len(pages) == 6  # one page per readable input: 003's two stories share one
    art = _article(browser, "004_")
    chips = _texts(art.xpath('./p[@class="counts"]/span'))
    assert "lines joined 8" in chips
    failures = " ".join(_texts(dom.xpath('//div[@class="failures"]//li')))
    assert "zz_binary.txt" in failures and "binary file" in failures


def test_every_link_lands(browser: dict[str, object], report: dict[str, object]) -> None:
    """Every link of the index and of the pages opens an element of a page of this review
    (as Chromium rendered it), and every page links back to the index."""
    index = report["path"]
    pages = browser["pages"]
    assert isinstance(index, Path) and isinstance(pages, dict)
    doms = {index.resolve(): browser["dom"], **{p.resolve(): d for p, d in pages.items()}}
    for where, dom in doms.items():
        for href in dom.xpath("//a/@href"):
            page, fragment = _target(where, href) if not href.startswith("#") else (where, href[1:])
            assert page in doms, (where.name, href)
            if fragment:
                assert doms[page].xpath(f'//*[@id="{fragment}"]'), (where.name, href)
        if where != index.resolve():
            assert any(_target(where, h)[0] == index.resolve() for h in dom.xpath("//a/@href"))


def test_screenshot(browser: dict[str, object]) -> None:
    from PIL import Image

    shot = browser["screenshot"]
    assert isinstance(shot, Path)
    with Image.open(shot) as image:
        assert image.size == (1400, 2000)
        colours = {c for _, c in image.convert("RGB").getcolors(1 << 20) or []}
    # The legend and the overview chips are drawn in the kind colours (not a blank page).
    for colour in ((0xFF, 0xF5, 0x9D), (0xFD, 0xEC, 0xEA), (0xE8, 0xF5, 0xE9)):
        assert colour in colours


# ---------------------------------------------------------------- the page itself


def test_valid_html5(report: dict[str, object]) -> None:
    import html5lib

    for page in [report["html"], *report["page_html"]]:  # type: ignore[misc]
        parser = html5lib.HTMLParser(strict=True)
        parser.parse(page)  # raises on the first parse error
        assert not parser.errors


def test_no_network_no_script(report: dict[str, object]) -> None:
    index = report["path"]
    assert isinstance(index, Path)
    for page in [report["html"], *report["page_html"]]:  # type: ignore[misc]
        refs = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page)
        refs += re.findall(r"url\(([^)]*)\)", page)
        assert not [r for r in refs if re.match(r"\s*['\"]?(?:[a-z]+:|//)", r)]
        # Links are relative, within the review: the index and its pages folder.
        for href in re.findall(r'href="([^"]*)"', page):
            assert re.fullmatch(r"#.*|review-pages/[^/]+\.html(#.*)?|\.\./review\.html", href)
        assert "@import" not in page and "@font-face" not in page
        for tag in ("<script", "<link", "<img", "<iframe", "<object"):
            assert tag not in page.lower()


def test_scraped_markup_is_escaped(browser: dict[str, object], report: dict[str, object]) -> None:
    page = next(h for h in report["page_html"] if "zz_hostile" in h)  # type: ignore[attr-defined]
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    pages = browser["pages"]
    assert isinstance(pages, dict)
    for dom in [browser["dom"], *pages.values()]:
        assert not dom.xpath("//script|//img|//body//b[not(ancestor::li)][.='标题']")
    art = _article(browser, "zz_hostile")
    source = art.xpath('.//td[@class="src"]')[0].text_content()
    assert '<script>alert("x")</script>' in source
    assert "&amp;" in art.text_content()
    assert "⟨U+0001⟩" in art.text_content() and "⟨U+200B⟩" in art.text_content()


# ---------------------------------------------------------------- alignment and speed


@pytest.mark.parametrize("seed", range(len(SEEDS)))
def test_every_source_line_shown_once_in_order(
    seed: int, seed_articles: dict[str, list[Article]]
) -> None:
    articles = seed_articles[SEEDS[seed].stem[:3]]
    page_lines = len(articles[0].source_text.split("\n"))
    shown: list[int] = []
    for number, article in enumerate(articles):
        from newsarchive.review import _story_ranges

        view = article_view(article, number + 1, _story_ranges(articles)[number])
        for row in view.rows:
            if row.blank_run:
                first, last = row.lines[0].number, row.lines[-1].number
                shown.extend(range(first, last + 1))
            else:
                shown.extend(line.number for line in row.lines)
        assert not [f for f in view.flags if f.rule == "unexplained"]
    assert shown == list(range(1, page_lines + 1))


def test_every_edit_has_a_kind(seed_articles: dict[str, list[Article]]) -> None:
    kinds = {edit_kind(e) for arts in seed_articles.values() for a in arts for e in a.provenance}
    assert {"chrome", "credit", "title", "join", "lift", "opencc", "punct", "pinyin"} <= kinds


def test_rerun_replaces_the_pages(tmp_path: Path) -> None:
    """A second review into the same index leaves only its own pages (and never removes a
    file it did not name)."""
    index = tmp_path / "review.html"
    write_review([str(SEEDS[0]), str(SEEDS[1])], index)
    mine = tmp_path / "review-pages" / "notes.txt"
    mine.write_text("an archivist's file", "utf-8")
    written = write_review([str(SEEDS[1])], index)
    assert written.pages == 1 and written.articles == 1
    names = sorted(p.name for p in pages_dir(index).iterdir())
    assert names == [f"00001-{SEEDS[1].stem}.html", "notes.txt"]
    assert f"review-pages/00001-{SEEDS[1].stem}.html#" in index.read_text("utf-8")
    assert SEEDS[0].stem not in index.read_text("utf-8")


def test_index_in_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch larger than an index page: the index is split into pages of INDEX_ENTRIES,
    flagged articles first across them, numbered on, each linking the others; every link
    lands on an element of a written page; a smaller re-run removes the index pages it no
    longer needs (and nothing else)."""
    from newsarchive import review

    monkeypatch.setattr(review, "INDEX_ENTRIES", 3)
    inputs = [str(s) for s in SEEDS] * 2  # 10 inputs, 12 articles, two of them flagged
    index = tmp_path / "out" / "review.html"
    write_review(inputs, index, jobs=1)
    pages = pages_dir(index)
    more = sorted(p for p in pages.iterdir() if p.name.startswith("index-"))
    assert [p.name for p in more] == [f"index-000{n}.html" for n in (2, 3, 4)]
    flagged, numbers = [], []
    for doc in [index, *more]:
        dom = lxml_html.fromstring(doc.read_bytes())
        rows = dom.xpath('//table[@class="batch"]/tbody/tr')
        assert 1 <= len(rows) <= 3
        flagged += ["flagged" in (row.get("class") or "") for row in rows]
        numbers += [int(row.xpath("./td[1]")[0].text) for row in rows]
        for href in dom.xpath("//a/@href"):
            page, _, fragment = href.partition("#")
            target = (doc.parent / page).resolve()
            assert target.is_file(), (doc.name, href)
            assert not fragment or f'id="{fragment}"' in target.read_text("utf-8")
        for nav in dom.xpath('//nav[@class="pager"]'):
            assert len(nav.xpath(".//a")) == 3 and len(nav.xpath(".//b")) == 1
    assert numbers == list(range(1, 13))
    assert flagged == sorted(flagged, reverse=True) and flagged.count(True) == 2
    mine = pages / "index-notes.html"  # not a name of ours
    mine.write_text("an archivist's file", "utf-8")
    write_review(inputs[:4], index, jobs=1)  # 5 articles: two index pages
    assert sorted(p.name for p in pages.glob("index-*")) == ["index-0002.html", "index-notes.html"]


def test_cli_review(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsarchive",
            "review",
            str(ROOT / "seeds/00[34]*.txt"),
            "-o",
            str(out),
            "--jobs",
            "2",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "3 article(s) from 2 of 2 inputs" in result.stderr
    pages = sorted((tmp_path / "r-pages").iterdir())
    assert [p.name[:6] for p in pages] == ["00001-", "00002-"]
    assert sum(p.read_text("utf-8").count("<article ") for p in pages) == 3
    assert out.read_text("utf-8").count('<a href="r-pages/') == 3


def test_article_without_source_text_keeps_every_block(
    seed_articles: dict[str, list[Article]],
) -> None:
    """A TEI input carries no scraped text: no left side, but never a hidden block."""
    import dataclasses

    article = dataclasses.replace(seed_articles["004"][0], source_text="")
    view = article_view(article)
    shown = [b for row in view.rows for b in row.blocks]
    assert len(shown) == len([b for b in article.blocks if b.text])
    assert view.line_range == "no source text"
    assert sum(1 for b in shown for s in b.segs if s.join) == 8


def test_pool_writes_what_one_process_writes(tmp_path: Path) -> None:
    """Two workers (chunks, fork, pages synced once) write the same bytes as one process."""
    inputs = [str(s) for s in SEEDS] * 3  # 15 inputs: two chunks of 8
    one, two = tmp_path / "one" / "review.html", tmp_path / "two" / "review.html"
    first = write_review(inputs, one, jobs=1)
    second = write_review(inputs, two, jobs=2)
    assert (first.pages, first.articles) == (second.pages, second.articles) == (15, 18)
    assert one.read_bytes() == two.read_bytes()
    names = sorted(p.name for p in pages_dir(one).iterdir())
    assert names == sorted(p.name for p in pages_dir(two).iterdir()) and len(names) == 15
    for name in names:
        assert (pages_dir(one) / name).read_bytes() == (pages_dir(two) / name).read_bytes()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize(
    ("signum", "group"),
    [(signal.SIGTERM, False), (signal.SIGINT, True), (signal.SIGHUP, True)],
    ids=["sigterm", "group-sigint", "group-sighup"],
)
def test_review_stopped_by_a_signal(tmp_path: Path, signum: int, group: bool) -> None:
    """SIGTERM to review, Ctrl-C or a closed terminal (the whole group): exit 128 + the
    signal, no worker left, no partial page, an index that says it stopped."""
    from bad.signals import START_TIMEOUT, Run, inputs, wait

    total = inputs(tmp_path / "in", copies=120)  # 600 inputs: far from done when signalled
    index = tmp_path / "out" / "review.html"
    pages = pages_dir(index)
    command = [sys.executable, "-m", "newsarchive", "review", "-j", "2", "-o", str(index),
               str(tmp_path / "in")]
    run = Run(command, tmp_path / "err.txt")

    def busy() -> bool:
        run.watch()
        return len(run.seen) >= 2 and pages.is_dir() and len(list(pages.glob("*.html"))) >= 4

    try:
        assert wait(busy, START_TIMEOUT), run.stderr()
    except AssertionError:
        run.kill()
        raise
    code, _exited, _gone = run.finish(run.signal(signum, group=group))  # raises if any is left
    err = run.stderr()
    assert code == 128 + signum, err
    assert "Traceback" not in err and "interrupted" in err
    written = sorted(pages.iterdir())
    assert [p for p in written if not p.name.endswith(".html")] == []  # no temporary file
    for page in written:
        assert page.read_text("utf-8").endswith("</html>\n"), page.name
    html = index.read_text("utf-8")
    assert f"stopped ({signal.Signals(signum).name}) after" in html and f"of {total} inputs" in html
    # Every page written is linked from the index or one of its pages.
    index_pages = [index, *(p for p in written if p.name.startswith("index-"))]
    articles = {p.name for p in written if not p.name.startswith("index-")}
    assert 4 <= len(articles) < total
    linked = {
        href.partition("#")[0].rsplit("/", 1)[-1]
        for doc in index_pages
        for href in re.findall(r'href="([^"]+)"', doc.read_text("utf-8"))
    }
    assert articles <= linked
