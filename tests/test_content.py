"""Main-content detection (normalize/content.py) on pages invented for the tests.

Each page imitates how a converter saves a web page (w3m bullets, lynx stars, one text
node per line) around an invented article; the article must survive whole, the page
around it must go, every removal must be an edit.
"""

from __future__ import annotations

from newsarchive.model import Article
from newsarchive.normalize import normalize
from newsarchive.normalize.content import detect_content
from newsarchive.options import Options
from newsarchive.readers.text import read_text

BODY = [
    "　　本报讯 昨日上午，江北区第三届社区邻里节在滨江公园开幕，来自全区二十多个社区的",
    "居民带来了剪纸、糖画、竹编等传统手艺，现场吸引了上千名市民驻足观看。",
    "",
    "　　活动负责人介绍，邻里节今年新增了“共享厨房”环节，居民可以登录社区小程序报名，",
    "分享自家的拿手菜。不少老人表示，这样的活动让邻里之间走得更近了，也让孩子们",
    "了解了老手艺背后的故事。",
    "",
    "　　据悉，邻里节将持续三天，其间还将举办读书分享会和义诊活动，欢迎市民参与评论",
    "和建议，主办方将根据大家的意见改进明年的安排。",
]

W3M_PAGE = "\n".join(
    [
        "江北新闻网",
        "  • 首页",
        "  • 新闻",
        "  • 社区",
        "  • 视频",
        "  • 登录",
        "[请输入关键词        ]",
        "[搜索]",
        "当前位置：首页 > 社区新闻 > 正文",
        "",
        "社区邻里节开幕 传统手艺进公园",
        "",
        "2024-05-12 09:30 来源：江北日报",
        "[share_wx] [share_wb]",
        "分享到：",
        "",
        *BODY,
        "",
        "（责任编辑：周小明）",
        "",
        "  • 上一篇：区图书馆延长开放时间",
        "  • 下一篇：滨江步道完成改造",
        "",
        "相关新闻",
        "  • 江北区举办社区运动会 2024-05-10 10:20",
        "  • 五月社区义诊安排出炉 2024-05-09 08:00",
        "  • 老旧小区加装电梯进展顺利 2024-05-08 16:45",
        "",
        "本网站使用cookie技术提供更好的阅读体验，继续浏览即表示您同意我们的隐私政策。",
        "",
        "关于我们 | 联系我们 | 网站地图",
        "江北新闻网 版权所有 渝ICP备00000000号",
    ]
)


def _article(text: str) -> Article:
    return read_text(text.encode("utf-8"), "page.txt")


def _kept(article: Article) -> list[str]:
    return [b.text for b in article.blocks if b.text]


def _prepared(text: str) -> Article:
    from newsarchive.normalize.characters import clean_characters
    from newsarchive.normalize.script import unify_script

    return unify_script(clean_characters(_article(text)), "hans")


def test_w3m_page_keeps_the_article_and_drops_the_page() -> None:
    result = detect_content(_prepared(W3M_PAGE))
    kept = "\n".join(_kept(result))
    for line in BODY:
        assert line.strip() in kept
    assert "社区邻里节开幕 传统手艺进公园" in kept  # the headline reaches title.py
    assert "（责任编辑：周小明）" in kept  # the credit reaches credits.py
    for chrome in ("• 首页", "[搜索]", "当前位置", "相关新闻", "江北区举办社区运动会", "cookie",
                   "网站地图", "ICP", "[share_wx]", "上一篇"):
        assert chrome not in kept, chrome


def test_every_removed_line_is_an_edit() -> None:
    prepared = _prepared(W3M_PAGE)
    result = detect_content(prepared)
    removed = {e.line for e in result.provenance if e.rule.startswith(("content", "footer", "nav"))}
    kept = {b.source_lines[0] for b in result.blocks}
    for block in prepared.blocks:
        assert block.source_lines[0] in kept or block.source_lines[0] in removed


def test_body_sentences_with_web_words_survive() -> None:
    # 登录, 分享, 评论 inside sentences of the article: the article's words, not chrome.
    articles = normalize(_article(W3M_PAGE), Options())
    text = "\n".join(b.text for a in articles for b in a.blocks if b.text)
    assert "居民可以登录社区小程序报名" in text
    assert "分享自家的拿手菜" in text
    assert "欢迎市民参与评论和建议" in text
    assert "cookie" not in text and "相关新闻" not in text


def test_lynx_stars_and_a_notice_inside_the_article() -> None:
    page = "\n".join(
        [
            "   * 首页",
            "   * 资讯",
            "          + 财经",
            "          + 体育",
            "   首页 > 资讯 > 正文",
            "",
            "山区小学迎来新操场",
            "",
            *BODY[:6],
            "",
            "请继续往下阅读...",
            "",
            *BODY[7:],
            "",
            "   * 查看评论",
            "   * 阅读 120",
        ]
    )
    kept = "\n".join(_kept(detect_content(_prepared(page))))
    assert "山区小学迎来新操场" in kept
    assert "请继续往下阅读" not in kept
    assert "据悉，邻里节将持续三天" in kept and "了解了老手艺背后的故事。" in kept
    assert "+ 财经" not in kept and "查看评论" not in kept


def test_traditional_page_is_read_through_a_simplified_shadow() -> None:
    page = "\n".join(
        [
            "  • 首頁",
            "  • 即時新聞",
            "  • 登入",
            "首頁 > 社會",
            "",
            "山區小學迎來新操場",
            "",
            "本報訊 昨日上午，山區小學的新操場正式啟用，全校兩百多名學生第一次在塑膠跑道上",
            "上體育課。校長表示，操場由多家企業捐建，學校將向附近居民開放。",
            "",
            "為達最佳瀏覽效果，建議使用 Chrome 或 Edge 的瀏覽器。",
            "相關新聞",
            "  • 鄉村圖書館開幕",
        ]
    )
    prepared = unify_script(clean(page), "hant")
    kept = "\n".join(_kept(detect_content(prepared)))
    assert "山區小學迎來新操場" in kept and "全校兩百多名學生" in kept
    assert "首頁" not in kept and "瀏覽器" not in kept and "相關新聞" not in kept


def clean(text: str) -> Article:
    from newsarchive.normalize.characters import clean_characters

    return clean_characters(_article(text))


def unify_script(article: Article, target: str) -> Article:
    from newsarchive.normalize.script import unify_script as unify

    return unify(article, target)


def test_clean_epaper_text_is_left_alone() -> None:
    # No boilerplate at all (an e-paper or PDF text): nothing may go.
    page = "\n".join(["第3版：要闻", "", "社区邻里节开幕", "", *BODY, "", "记者 王小红"])
    prepared = _prepared(page)
    result = detect_content(prepared)
    assert _kept(result) == _kept(prepared)


def test_multi_story_page_keeps_every_story() -> None:
    story = [
        "小标题一二三四五",
        "",
        "本报讯 昨天，某镇举办了一场农民丰收节，现场展示了当地的特色农产品，吸引了",
        "许多游客前来选购。镇长表示，今年全镇粮食产量比去年增长了一成。",
        "",
        "（记者 李明）",
        "",
    ]
    page = "\n".join(story * 3)
    prepared = _prepared(page)
    assert _kept(detect_content(prepared)) == _kept(prepared)
