"""HTML input: saved pages read into the Article model (variants written for the tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsarchive.errors import InputError
from newsarchive.options import Options
from newsarchive.pipeline import normalize_bytes, normalize_file
from newsarchive.readers.html import decode_html, headline, read_html

BODY = (
    "本报讯 昨日上午，市图书馆新馆正式向市民开放，首日接待读者超过三千人次，"
    "馆内设有少儿阅览区、古籍修复室和数字体验区。",
    "馆长介绍，新馆藏书总量达到一百二十万册，其中地方文献专区收录了本地历代方志，"
    "读者可凭身份证免费办理借阅证。",
    "不少市民带着孩子前来参观，有读者表示，新馆环境安静宽敞，周末会常来这里看书学习。",
)


def page(
    *,
    title: str = "市图书馆新馆开放 首日迎客三千人次",
    site: str = "示例日报网",
    charset: str = "utf-8",
    extra_body: str = "",
    head_extra: str = "",
) -> str:
    paragraphs = "\n".join(f"<p>{p}</p>" for p in BODY)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="{charset}">
<title>{title}_{site}</title>
<meta property="og:site_name" content="{site}">
<meta property="article:published_time" content="2024-03-05T08:00:00+08:00">
<link rel="canonical" href="https://news.example.cn/2024/0305/a1.html">
{head_extra}
<script>document.write('<p>脚本写出的文字</p>');</script>
<style>p {{ color: red }}</style>
</head><body>
<div class="nav"><a href="/">首页</a> <a href="/city">本地新闻</a> <a href="/sport">体育</a></div>
<div class="article">
<h1>{title}</h1>
<div class="info">2024-03-05 08:00 来源：{site}</div>
<figure><img src="lib.jpg" alt="新馆外景"><figcaption>图为新馆外景。（李明 摄）</figcaption></figure>
{paragraphs}
{extra_body}
<p>（责任编辑：王小红）</p>
</div>
<ul class="related"><li><a href="/a">相关新闻一则</a></li><li><a href="/b">相关新闻二则</a></li></ul>
<div class="footer">示例日报网版权所有，未经授权不得转载</div>
</body></html>"""


def convert(html: str, name: str = "page.html", **kw: object) -> list:
    return normalize_bytes(html.encode(kw.pop("encoding", "utf-8")), name, Options())  # type: ignore[arg-type]


def test_paragraphs_title_metadata() -> None:
    [article] = convert(page())
    md = article.metadata
    assert md.title == "市图书馆新馆开放 首日迎客三千人次"  # without the site suffix
    assert md.date == "2024-03-05"
    assert md.newspaper == "示例日报网"
    assert md.url == "https://news.example.cn/2024/0305/a1.html"
    paras = [b.text for b in article.blocks if b.kind == "paragraph"]
    assert any(p.startswith("馆长介绍") for p in paras)
    assert len([p for p in paras if "不少市民" in p]) == 1
    text = article.plain_text()
    for chrome in ("首页", "相关新闻一则", "版权所有", "脚本写出的文字", "color"):
        assert chrome not in text


def test_story_ends_with_its_editor_line() -> None:
    [article] = convert(
        page(extra_body="<p>（责任编辑：王小红）</p><h3>相关阅读</h3><p>另一篇报道的导语</p>")
    )
    assert "相关阅读" not in article.plain_text()
    assert "另一篇报道的导语" not in article.plain_text()
    removed = [e.text for e in article.provenance if e.rule == "html.after-story"]
    assert "相关阅读" in removed  # recorded, not lost


def test_every_block_has_a_source_line() -> None:
    html = page()
    [article] = convert(html)
    lines = html.split("\n")
    for block in article.blocks:
        if block.kind == "paragraph":
            assert block.source_lines, block
            assert block.text[:6] in lines[block.source_lines[0] - 1] or block.source_lines


def test_caption_below_image_is_a_figure() -> None:
    [article] = convert(page())
    figures = [b.text for b in article.blocks if b.kind == "figure"]
    assert any("新馆外景" in f for f in figures)
    assert not any("新馆外景" in b.text for b in article.blocks if b.kind == "paragraph")


def test_traditional_page_metadata_follows_the_text_script() -> None:
    html = page(title="市圖書館新館開放 首日迎客三千人次", site="示例時報")
    html = html.replace("图书馆", "圖書館").replace("读者", "讀者").replace("开放", "開放")
    [article] = convert(html)
    assert article.metadata.title == "市图书馆新馆开放 首日迎客三千人次"
    assert article.metadata.newspaper == "示例时报"


def test_declared_charset_checked_against_the_bytes() -> None:
    # declares GB2312 but the bytes are UTF-8
    text, encoding, notes = decode_html(page(charset="gb2312").encode("utf-8"), "x.html")
    assert encoding == "utf-8" and "图书馆" in text and notes
    # really GB18030 bytes, declared as GB2312
    text, encoding, _ = decode_html(page(charset="gb2312").encode("gb18030"), "x.html")
    assert "图书馆" in text and encoding == "gb18030"
    # a BOM wins over the declaration
    data = b"\xef\xbb\xbf" + page(charset="big5").encode("utf-8")
    text, encoding, _ = decode_html(data, "x.html")
    assert "图书馆" in text and encoding.startswith("utf-8")


def test_headline_is_the_printed_one() -> None:
    assert headline("甲乙丙丁戊己 - 要闻 - 某某网", {}, ["甲乙丙丁戊己"]) == "甲乙丙丁戊己"
    assert headline("甲乙丙丁戊己_某某网", {}, []) == "甲乙丙丁戊己"
    # a site title, but the page prints the headline: the meta of the CMS names it
    assert (
        headline("某省政府网站", {"articletitle": "某地举行活动启动仪式"}, [])
        == "某地举行活动启动仪式"
    )


def test_list_items_are_not_run_into_prose() -> None:
    items = (
        "<ul>"
        + "".join(
            f"<li>第{n}项措施是加强社区服务，方便居民就近办理各项业务手续</li>" for n in "一二三"
        )
        + "</ul>"
    )
    [article] = convert(page(extra_body=items))
    listed = [b.text for b in article.blocks if "项措施" in b.text]
    assert len(listed) == 3


def test_html_file_path(tmp_path: Path) -> None:
    path = tmp_path / "a.htm"
    path.write_bytes(page().encode("gb18030").replace(b'charset="utf-8"', b'charset="gbk"'))
    [article] = normalize_file(path)
    assert article.metadata.title == "市图书馆新馆开放 首日迎客三千人次"
    assert article.metadata.source_encoding == "gb18030"


def test_source_text_is_the_page_text_line_for_line() -> None:
    html = page()
    article = read_html(html.encode(), "p.html")
    assert len(article.source_text.split("\n")) == len(html.split("\n"))
    assert "<p>" not in article.source_text and "document.write" not in article.source_text


def test_empty_page_is_one_line_error() -> None:
    with pytest.raises(InputError, match="no article text"):
        convert("<html><head><title>x</title></head><body></body></html>")
