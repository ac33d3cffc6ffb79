"""Signals found on real scraped pages, tested on pages invented here.

The eval corpus (../shared/eval) showed each failure; the rule behind the fix is general,
so each test builds its own page with the same shape and different words.
"""

from __future__ import annotations

import pytest

from newsarchive.model import Article
from newsarchive.options import Options
from newsarchive.pipeline import normalize_bytes

ARTICLE = [
    "河畔新村的夜市重新开张",
    "",
    "　　本报讯 入夏以来，河畔新村的夜市重新开张，三十多个摊位沿着河堤一字排开，卖凉粉的、",
    "修雨伞的、画糖人的都回来了，不少居民吃过晚饭便带着孩子来逛一逛。",
    "",
    "　　街道负责人介绍，夜市今年统一了摊位的灯光和垃圾分类，每晚十点前收摊，尽量不打扰",
    "附近居民休息。摊主们说，生意虽然不如从前红火，但回头客越来越多了。",
    "",
    "　　据了解，夜市的摊位由居民自愿报名、街道统一安排，租金全免，只收取少量卫生费。",
    "下一步，街道还打算在周末加开旧书和手工艺品专区，让夜市更有烟火气。",
    "",
]


def run(lines: list[str]) -> list[Article]:
    return normalize_bytes("\n".join(lines).encode("utf-8"), "page.txt", Options())


def texts(articles: list[Article]) -> str:
    return "\n".join(b.text for a in articles for b in a.blocks if b.text)


def test_a_recommended_reading_header_ends_the_article() -> None:
    # A "推荐阅读" / "相关新闻" header opens a list of other articles, even when the teasers
    # under it are written as punctuated sentences long enough to look like body text.
    for header in ("推荐阅读", "相关新闻", "【相关阅读】"):
        page = [
            *ARTICLE,
            "（责任编辑：林小云）",
            "",
            header,
            "",
            "秋收时节走进稻田，老农讲述种了五十年的庄稼一块田有一块田的脾气，一季有一季的",
            "收成。《田野故事》邀请十位种粮能手，讲述他们几十年来与土地打交道的经验与心得。【详细】",
            "",
            "古镇新生记小镇文化站与“古镇新生”采访团一同走访五座古镇，记录老街改造中保留",
            "下来的手艺、风俗和人情，探讨古镇在乡村振兴中能发挥什么作用。【详细】",
        ]
        out = texts(run(page))
        assert "摊主们说" in out, header
        assert "种粮能手" not in out and "古镇新生" not in out, header


def test_a_gallery_of_doubled_link_titles_after_the_article_goes() -> None:
    # Photo galleries print each link title twice (image alt + caption). A line printed
    # twice above the article may be its headline; below it, it is a list of other pages.
    gallery = []
    for teaser in ("山城迎来今冬第一场雪", "古桥修缮后重新通行", "候鸟飞抵湿地公园"):
        gallery += [teaser, teaser]
    page = ["  • 首页", "  • 图片", "", *ARTICLE, "（编辑：何明）", "", "[INS::INS]", "图片精选",
            *gallery, "关注我们"]
    articles = run(page)
    out = texts(articles)
    assert "摊主们说" in out
    for teaser in ("山城迎来今冬第一场雪", "古桥修缮后重新通行", "候鸟飞抵湿地公园"):
        assert teaser not in out, teaser
    assert articles[0].metadata.title == "河畔新村的夜市重新开张"


def test_a_headline_printed_twice_above_the_article_stays_once() -> None:
    page = ["河畔新村的夜市重新开张", "  • 首页", "  • 社区", "", *ARTICLE]
    articles = run(page)
    assert articles[0].metadata.title == "河畔新村的夜市重新开张"
    assert texts(articles).count("河畔新村的夜市重新开张") <= 1


def test_a_reporter_credit_on_the_short_last_line_of_a_wrapped_paragraph() -> None:
    # The closing "（张三）" credit sits on the last wrapped line, a line too short to count
    # as body by itself: it still closes the paragraph above it.
    page = [
        "河畔新村的夜市重新开张",
        "",
        "　　入夏以来，河畔新村的夜市重新开张，三十多个摊位沿着河堤一字排开，卖凉粉的、修雨",
        "伞的、画糖人的都回来了，不少居民吃过晚饭便带着孩子来逛一逛，街道负责人说，夜市将开",
        "到十月底。（冯立群）",
        "",
        "扫一扫在手机打开当前页面",
    ]
    articles = run(page)
    paragraph = [b.text for b in articles[0].blocks if b.kind == "paragraph"]
    assert paragraph and paragraph[-1].endswith("夜市将开到十月底。")
    assert "冯立群" in articles[0].metadata.authors


def _lynx(lines: list[str]) -> list[str]:
    return [("   " + ln if ln else "") for ln in lines]


BODY_LONG = [
    "入夏以来，河畔新村的夜市重新开张，三十多个摊位沿着河堤一字排开，卖凉粉的、修雨伞的、画糖人的都回来了，不少居民吃过晚饭便带着",
    "孩子来逛一逛，街道负责人说，夜市将一直开到十月底。",
]
BODY_LONG_2 = [
    "据了解，夜市的摊位由居民自愿报名、街道统一安排，租金全免，只收取少量卫生费，下一步，街道还打算在周末加开旧书和手工艺品专区，",
    "让夜市更有烟火气。",
]


def test_centred_lines_beside_a_caption_are_one_caption_group() -> None:
    # lynx prints centred HTML (a picture's captions) far right of the body's left edge.
    for first, second in (("夜市开张现场", "摊主们在河堤上摆出各色小吃"),
                          ("摊主们在河堤上摆出各色小吃", "夜市开张现场")):
        page = ["河畔新村的夜市重新开张", "", *_lynx(BODY_LONG), "",
                " " * 30 + first, "", " " * 22 + second, "", *_lynx(BODY_LONG_2)]
        article = run(page)[0]
        figures = [b.text for b in article.blocks if b.kind == "figure"]
        headings = [b.text for b in article.blocks if b.kind == "heading"]
        assert figures == [first, second], (first, headings)


def test_a_left_aligned_subheading_beside_a_centred_caption_stays_a_heading() -> None:
    page = ["河畔新村的夜市重新开张", "", *_lynx(BODY_LONG), "", " " * 30 + "夜市开张现场", "",
            "   老手艺回来了", "", *_lynx(BODY_LONG_2)]
    article = run(page)[0]
    assert [b.text for b in article.blocks if b.kind == "heading"] == ["老手艺回来了"]


def test_get_text_page_kicker_headline_photo_unit_and_web_controls() -> None:
    # One text node per line (BeautifulSoup get_text): web controls beside the headline, a
    # "某报：" kicker over a headline that holds a comma, a caption credited to a photo unit.
    page = [
        "河畔新村的夜市重新开张_社区_某某网",
        "设置首页",
        "河畔新村的夜市重新开张",
        "2024-06-01 20:30",
        "调整字体",
        "某某网6月1日讯（记者方小东）",
        "入夏以来，河畔新村的夜市重新开张，三十多个摊位沿着河堤一字排开，不少居民吃过晚饭便来逛一逛。",
        "《江城晚报》：",
        "夜市回来了，烟火气也回来了",
        "街道负责人介绍，夜市今年统一了摊位的灯光和垃圾分类，每晚十点前收摊，尽量不打扰附近居民休息。",
        "摊主在河堤上摆出各色小吃。社区摄影队 陈晓峰 摄",
        "摊主们说，生意虽然不如从前红火，但回头客越来越多了，大家都盼着夜市一直开下去。",
        "【编辑：罗一鸣】",
        "扫二维码上移动某某网",
        "分享到:",
    ]
    article = run(page)[0]
    kinds = {b.text: b.kind for b in article.blocks}
    assert kinds.get("夜市回来了，烟火气也回来了") == "heading"
    assert kinds.get("摊主在河堤上摆出各色小吃。") == "figure"
    assert "陈晓峰" in {c.name for c in article.metadata.credits} | set(article.metadata.authors)
    assert any(t.startswith("街道负责人介绍") for t, k in kinds.items() if k == "paragraph")
    out = texts([article])
    for chrome in ("设置首页", "调整字体", "扫二维码"):
        assert chrome not in out, chrome


def test_tags_a_japanese_switch_line_and_a_doubled_picture_credited_caption() -> None:
    # A Traditional wire page: a language switch in Japanese among the menus, the photo's
    # caption printed twice with "（示意圖／圖取自…）", hashtag lines under the story.
    caption = "河堤夜市的攤位一字排開，吸引不少民眾前來。（示意圖／圖取自某某圖庫）"
    page = [
        "  • 首頁",
        "  • 生活",
        "こちらは繁体字版です。日本語版に移動しますか。",
        "某某社ニュース",
        "首頁 / 生活",
        "",
        "河畔新村夜市重新開張",
        "",
        "2024/6/1 15:06",
        "",
        caption,
        caption,
        "",
        "（某某社記者方小東台北1日電）入夏以來，河畔新村的夜市重新開張，三十多個攤位沿著河堤一字排開，"
        "不少居民吃過晚飯便帶著孩子來逛一逛。",
        "",
        "街道負責人介紹，夜市今年統一了攤位的燈光和垃圾分類，每晚十點前收攤，盡量不打擾附近居民休息。"
        "（編輯：羅一鳴）1130601",
        "",
        "#夜市",
        "#河畔新村 #街道辦",
        "延伸閱讀",
    ]
    article = run(page)[0]
    figures = [b.text for b in article.blocks if b.kind == "figure"]
    assert len(figures) == 1 and figures[0].startswith("河堤夜市的摊位一字排开")
    out = texts([article])
    for chrome in ("#", "こちら", "ニュース"):
        assert chrome not in out, chrome
    assert "街道负责人介绍" in out


def test_a_ticker_printed_twice_goes_and_the_page_label_names_the_paper() -> None:
    # A slide show of other headlines printed twice in the same order above the story; the
    # print page's label "某某日报A3：headline" among the page chrome names the paper.
    ticker = ["山城迎来今冬第一场雪 多条公路临时封闭", "古桥修缮后重新通行", "候鸟飞抵湿地公园 观鸟季开启"]
    page = ["[menu_up]", "[slide_push]", *ticker, *ticker, "港澳版>新闻>本地", "[content_up]",
            "江城日报A3：夜市重开 烟火气回来了", "", "新闻观看次数：12k", "",
            *ARTICLE[2:]]
    article = run(page)[0]
    out = texts([article])
    for teaser in ticker:
        assert teaser.split()[0] not in out, teaser
    assert article.metadata.newspaper == "江城日报"
    assert "摊主们说" in out


def _html(article_html: str) -> bytes:
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>河畔新村的夜市重新开张-某某网</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/a">社区</a> <a href="/b">视频</a></div>
{article_html}
<div class="relate-news"><h3>相关新闻</h3><ul><li><a href="/c">古桥修缮后重新通行</a></li>
<li><a href="/d">候鸟飞抵湿地公园</a></li></ul></div>
<div class="footer">某某网版权所有</div></body></html>""".encode()


PARAGRAPHS_HTML = "\n".join(
    f"<p>{p}</p>" for p in (
        "入夏以来，河畔新村的夜市重新开张，三十多个摊位沿着河堤一字排开，卖凉粉的、修雨伞的、"
        "画糖人的都回来了，不少居民吃过晚饭便带着孩子来逛一逛。",
        "街道负责人介绍，夜市今年统一了摊位的灯光和垃圾分类，每晚十点前收摊，尽量不打扰附近"
        "居民休息。摊主们说，生意虽然不如从前红火，但回头客越来越多了。",
        "据了解，夜市的摊位由居民自愿报名、街道统一安排，租金全免，只收取少量卫生费。下一步，"
        "街道还打算在周末加开旧书和手工艺品专区，让夜市更有烟火气。",
    )
)


def test_html_editor_credit_split_from_its_name_below_a_hidden_widget() -> None:
    page = _html(f"""<div class="main"><h1>河畔新村的夜市重新开张</h1>
<div class="info">2024-06-01 20:30</div>
{PARAGRAPHS_HTML}
<div class="p-tags"><span class="p-jc"><span class="box"><a href="javascript:void(0);">【纠错】</a>
<div style="display:none"><iframe src="x"></iframe></div>
</span>
责任编辑：
<span>周小明</span>
</span></div></div>""")
    article = normalize_bytes(page, "page.html", Options())[0]
    assert "周小明" in article.metadata.people("editor")
    assert "周小明" not in texts([article])


def test_html_view_counter_clock_label_and_video_widget_label_above_the_story() -> None:
    page = _html(f"""<div class="main"><h1>河畔新村的夜市重新开张</h1>
<div class="meta"><span>新闻观看次数：12k</span></div>
<div class="clock"><div>北京时间</div><div>6月1日(六) 20:30</div></div>
<div class="video"><div>某网电视</div><a href="/v">更多新闻短片</a></div>
{PARAGRAPHS_HTML}
<p>（责任编辑：周小明）</p></div>""")
    article = normalize_bytes(page, "page.html", Options())[0]
    out = texts([article])
    for chrome in ("观看次数", "北京时间", "某网电视"):
        assert chrome not in out, chrome
    assert "摊主们说" in out


def test_pdf_page_running_head_and_a_two_line_byline_naming_the_paper() -> None:
    # pdftotext of a print page: "B3 港闻" running head, the byline's paper on one line and
    # the names on the next.
    page = [
        "B3 港闻", "", "2024年6月1日 星期六", "", "河畔新村夜市重新开张", "",
        "入夏以来，河畔新村的夜", "市重新开张，三十多个摊位", "沿着河堤一字排开，不少居",
        "民吃过晚饭便来逛一逛。", "街道负责人介绍，夜市今", "年统一了摊位的灯光和垃", "圾分类，每晚十点前收摊。",
        "", "江城日报记者", "方小东、罗一鸣", "",
    ]
    article = run(page)[0]
    md = article.metadata
    assert md.newspaper == "江城日报"
    assert set(md.authors) == {"方小东", "罗一鸣"}
    assert md.page == "3" and md.section == "港闻"
    assert "港闻" not in texts([article])


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)]


# pdftotext output of a print column: every line 16 characters.
PDF_COLUMN = _wrap(
    "夜市今年统一了摊位的灯光和垃圾分类，每晚十点前收摊，尽量不打扰附近居民休息。摊主们说，"
    "生意虽然不如从前红火，但回头客越来越多了，大家都盼着夜市一直开下去。据了解，夜市的摊位"
    "由居民自愿报名、街道统一安排，租金全免，只收取少量卫生费，街道还打算在周末加开旧书专区。",
    16,
)


def test_pdf_story_opening_in_a_narrow_column_beside_a_picture() -> None:
    # The first lines of a story set narrower than the page's column (a picture or a drop
    # cap beside them): the first has no punctuation yet, the lines share one width.
    narrow = ["河畔新村的夜市昨日重", "新开张，三十多个摊位", "沿着河堤一字排开，卖"]
    page = ["B3 港闻", "", "河畔夜市重开", *narrow,
            *_wrap("凉粉的、修雨伞的都回来了，不少居民吃过晚饭便带着孩子来逛一逛。", 16),
            *PDF_COLUMN, "", "江城日报记者 方小东", ""]
    article = run(page)[0]
    paragraphs = [b.text for b in article.blocks if b.kind == "paragraph"]
    assert paragraphs and paragraphs[0].startswith("河畔新村的夜市昨日重新开张，"), paragraphs
    assert not [b for b in article.blocks if b.kind == "figure"]


def test_pdf_wrap_between_said_and_the_quotation_it_opens() -> None:
    page = ["夜市重开 烟火气回来了", "", *PDF_COLUMN, "街道办事处发言人说：",
            *_wrap("「夜市重开以后，附近的居民都很支持，我们会继续听取大家的意见。」", 16),
            *PDF_COLUMN, ""]
    article = run(page)[0]
    paragraphs = [b.text for b in article.blocks if b.kind == "paragraph"]
    assert any("发言人说：「夜市重开以后" in p for p in paragraphs), paragraphs


def test_label_value_lines_announced_by_a_sentence_are_the_text_not_headings() -> None:
    page = ["河畔夜市重开", "", *PDF_COLUMN, "为方便居民，夜市报名方式如下：", "报名电话：0571-8888 6666",
            "报名地点：河畔新村社区服务中心", "（办公时间：周一至周五）", "街道办事处表示，报名截止后将抽签决定摊位。",
            *PDF_COLUMN, ""]
    article = run(page)[0]
    kinds = {b.text: b.kind for b in article.blocks}
    assert not [t for t, k in kinds.items() if k == "heading" and "：" in t], kinds
    paragraphs = [b.text for b in article.blocks if b.kind == "paragraph"]
    assert "报名地点：河畔新村社区服务中心" in paragraphs
    assert any(p.startswith("报名电话：0571") for p in paragraphs)
    assert any(p.startswith("街道办事处表示") for p in paragraphs)


def test_a_subheading_with_an_event_word_that_runs_into_its_paragraph() -> None:
    # "…活动…" is a caption cue, but a line set off above and running straight into a
    # paragraph heads it.
    page = ["河畔夜市重开", "", *PDF_COLUMN, "", "周末文化活动照常进行", *PDF_COLUMN, "",
            "河堤旧书专场活动", *PDF_COLUMN, ""]
    article = run(page)[0]
    kinds = {b.text: b.kind for b in article.blocks}
    assert kinds.get("周末文化活动照常进行") == "heading", kinds
    assert kinds.get("河堤旧书专场活动") == "figure", kinds  # names the scene: a caption


def test_pdf_blank_line_inside_a_sentence_after_a_function_word() -> None:
    # pdftotext leaves a blank line where a column breaks; a line stopping on a function
    # word ("…的", "…与", "…对") cannot close a heading: its sentence goes on below.
    for tail in ("的", "与", "对"):
        broken = f"为方便居民在周末出行{tail}"
        page = ["河畔夜市重开", "", *PDF_COLUMN, broken, "",
                *_wrap("安排，街道还打算加开旧书和手工艺品专区，让夜市更有烟火气。", 16), ""]
        article = run(page)[0]
        kinds = {b.text: b.kind for b in article.blocks}
        assert broken not in kinds, kinds
        paragraphs = [b.text for b in article.blocks if b.kind == "paragraph"]
        assert f"{broken}安排，街道还打算加开旧书" in paragraphs[-1], paragraphs


def test_a_heading_ending_in_de_set_off_above_stays_a_heading() -> None:
    # "…是怎样炼成的" set off by a blank line above is a heading, not a broken sentence.
    after = _wrap("摊主们说，夜市的烟火气靠的是回头客，一碗凉粉卖了二十年，价钱只涨过两回。", 16)
    page = ["河畔夜市重开", "", *PDF_COLUMN, "", "烟火气是怎样炼成的", *after, ""]
    kinds = {b.text: b.kind for b in run(page)[0].blocks}
    assert kinds.get("烟火气是怎样炼成的") == "heading", kinds


@pytest.mark.parametrize(
    ("line", "author", "paper"),
    [
        # chrome takes the line for its date: the author on it must not go with it
        ("时间：2024-06-03 来源：江城晚报 作者：方小东 浏览：1234次", "方小东", "江城晚报"),
        # a count with a thousands separator is no sentence: the line is not body text
        ("作者：方小东  来源：江城日报  时间：2024-06-03 08:15:22  点击：1,235", "方小东", "江城日报"),
        ("发布者：管理员 发布时间：2024-6-3 阅读：356", None, None),
        ("【发布时间：2024-06-03】【来源：江城日报】【字体：大 中 小】", None, "江城日报"),
        ("【发布时间：2024-06-03】【作者：方小东】【字号：大 中 小】", "方小东", None),
    ],
)
def test_info_line_forms_under_the_headline(line: str, author: str | None,
                                            paper: str | None) -> None:
    page = ["河畔新村的夜市重新开张", "", line, *ARTICLE[1:]]
    article = run(page)[0]
    md = article.metadata
    assert md.title == "河畔新村的夜市重新开张" and md.subtitle is None
    assert md.date == "2024-06-03"
    assert md.authors == ((author,) if author else ())
    assert md.newspaper == paper
    out = texts([article])
    assert "2024" not in out and "：" not in out, out
    assert out.startswith("本报讯 入夏以来") or out.startswith("入夏以来"), out


@pytest.mark.parametrize(
    ("line", "facts"),
    [
        # e-paper running heads: paper, date, page and section on one line
        ("江城日报 2024年06月03日 第05版：社会新闻", {"newspaper": "江城日报", "page": "5",
                                                 "section": "社会新闻"}),
        ("《 江城日报 》（ 2024年06月03日 第 05 版）", {"newspaper": "江城日报", "page": "5"}),
        ("江城日报 | 2024-06-03 | 第A05版 | 社会", {"newspaper": "江城日报", "page": "5",
                                               "section": "社会"}),
        # a web page's clock time and site name beside the date
        ("2024-06-03 08:15:22  |  江城新闻网", {"newspaper": None}),
        ("2024年06月03日08:15  江城日报", {"newspaper": "江城日报"}),
        # a reprint's note on where the story ran
        ("来源：《江城日报》2024年6月3日第5版", {"newspaper": "江城日报"}),
        ("原载《江城日报》2024年6月3日", {"newspaper": "江城日报"}),
    ],
)
@pytest.mark.parametrize("where", ["above", "below"])
def test_paper_date_and_page_lines(line: str, facts: dict[str, str | None], where: str) -> None:
    page = [line, "", *ARTICLE] if where == "above" else [*ARTICLE, line, ""]
    article = run(page)[0]
    md = article.metadata
    assert md.date == "2024-06-03"
    for key, value in facts.items():
        assert getattr(md, key) == value, (key, md)
    out = texts([article])
    assert "2024" not in out and "江城" not in out, out
    assert md.title == "河畔新村的夜市重新开张"


def test_a_lone_word_ending_in_wang_is_not_a_site_name() -> None:
    page = ["河畔夜市重开", "", *PDF_COLUMN, "", "物联网", *_wrap(
        "摊主们说，夜市今年装上了物联网电表，每个摊位用多少电一目了然。", 16), ""]
    assert "物联网" in [b.text for b in run(page)[0].blocks]


@pytest.mark.parametrize(
    ("line", "authors", "people"),
    [
        ("（编辑 林小云）", (), {("editor", "林小云")}),
        ("责任编辑 林小云", (), {("editor", "林小云")}),
        ("文/方小东 图/罗一鸣", ("方小东",), {("photographer", "罗一鸣")}),
        ("文 | 方小东  图 | 罗一鸣", ("方小东",), {("photographer", "罗一鸣")}),
        ("记者：方小东 摄影：罗一鸣", ("方小东",), {("photographer", "罗一鸣")}),
        ("（文/本报记者 方小东 图/本报记者 罗一鸣）", ("方小东",), {("photographer", "罗一鸣")}),
        ("作者：方小东（江城大学教授）", ("方小东",), set()),
    ],
)
@pytest.mark.parametrize("where", ["under the headline", "after the story", "glued"])
def test_credit_line_forms(line: str, authors: tuple[str, ...], people: set[tuple[str, str]],
                           where: str) -> None:
    if where == "under the headline":
        page = [ARTICLE[0], line, *ARTICLE[1:]]
    elif where == "after the story":
        page = [*ARTICLE, line, ""]
    else:  # glued to the last paragraph: only the bracketed forms
        if not line.startswith("（"):
            return
        page = [*ARTICLE[:-2], ARTICLE[-2] + line, ""]
    article = run(page)[0]
    md = article.metadata
    assert md.authors == authors
    assert {(c.role, c.name) for c in md.credits} == people
    out = texts([article])
    assert "方小东" not in out and "林小云" not in out and "罗一鸣" not in out, out
    assert "摊主们说" in out and "烟火气" in out
    if "教授" in line:
        assert md.author_affiliation == "江城大学教授"


def test_an_editor_label_and_a_word_with_a_space_between_is_not_a_credit() -> None:
    page = [*ARTICLE, "审核 严格", *_wrap("摊位报名时，街道对每一份材料都会认真核对。", 16), ""]
    assert "审核 严格" in texts(run(page))


@pytest.mark.parametrize(
    "line",
    [
        "上一篇：江城启动夜间经济示范街区评选",
        "【下一篇】：老城区十条背街小巷完成改造",
        "请输入关键词 搜索",
        "原文链接：https://news.example.org/2024/0603/1.html",
        "关键词：夜市 夜间经济",
        "标签：夜市 社区",
        "手机看新闻",
    ],
)
def test_web_furniture_after_the_story_goes(line: str) -> None:
    article = run([*ARTICLE, line, ""])[0]
    out = texts([article])
    assert line not in out and "：" not in out, out
    assert out.endswith("让夜市更有烟火气。"), out


@pytest.mark.parametrize(
    "line",
    ["责任编辑：林小云 | 纠错", "【我要纠错】责任编辑：林小云", "[责任编辑：林小云] [打印] [关闭]"],
)
def test_an_editor_credit_beside_page_controls(line: str) -> None:
    article = run([*ARTICLE, line, ""])[0]
    assert [(c.role, c.name) for c in article.metadata.credits] == [("editor", "林小云")]
    assert "林小云" not in texts([article])


def test_a_bracketed_source_and_author_line_after_the_story() -> None:
    article = run([*ARTICLE, "（本文来源：江城日报 作者：方小东）", ""])[0]
    assert article.metadata.authors == ("方小东",)
    assert article.metadata.newspaper == "江城日报"
    assert "方小东" not in texts([article])


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("河畔新村（Hépàn Xīncūn）的夜市", "河畔新村的夜市"),  # a word's gloss, a space apart
        ("画糖人（huà tángrén）的摊位", "画糖人的摊位"),
        ("来自欧洲（Ōuzhōu）的游客", "来自欧洲的游客"),
        # no tone marks, a Latin name or code: real parentheses
        ("店主李伟（Li Wei）说", "店主李伟（Li Wei）说"),
        ("主教练（José Mourinho）说", "主教练（José Mourinho）说"),
        ("海报用纸（A4）", "海报用纸（A4）"),
    ],
)
def test_pinyin_gloss_of_a_word(text: str, kept: str) -> None:
    from newsarchive.normalize.pinyin import remove_glosses

    assert remove_glosses(text)[0] == kept


def test_lynx_dump_with_numbered_links_and_a_reference_list() -> None:
    # lynx -dump (without -nolist): "[12]" before every link, the addresses listed at the end.
    page = [
        "   [1]江城新闻网", "", "   [2]首页 | [3]新闻 | [4]本地", "",
        "   当前位置：[5]首页 > [6]本地新闻 > 正文", "",
        "                河畔新村的夜市重新开张", "",
        "   2024-06-03 08:15:22 来源：江城日报 作者：方小东 [7]我要评论", "",
        *[f"   {line}" for line in ARTICLE[2:]],
        "   （责任编辑：林小云）", "", "   [8]分享到： [9]微信 [10]微博", "",
        "References", "",
        *[f"   {n}. http://news.example.org/{n}.html" for n in range(1, 11)],
    ]
    article = run(page)[0]
    md = article.metadata
    assert md.title == "河畔新村的夜市重新开张"
    assert md.authors == ("方小东",) and md.newspaper == "江城日报" and md.date == "2024-06-03"
    out = texts([article])
    assert "[" not in out and "评论" not in out and "http" not in out, out
    assert out.startswith("本报讯 入夏以来") and out.endswith("让夜市更有烟火气。"), out


def test_bracketed_numbers_stay_without_a_reference_list() -> None:
    page = [*ARTICLE[:-2], "据统计，夜市的客流比去年增加了三成[1]，摊位租金全免[2]。", ""]
    assert "增加了三成[1]，摊位租金全免[2]。" in texts(run(page))


BRIEFS = [
    ("社区图书馆延长开放时间", "本报通讯员 罗一鸣",
     ["记者从市图书馆获悉，自本月起，全市二十家社区图书馆将开放时间延长至每晚九点。",
      "图书馆负责人表示，延长开放后将增加志愿者值守，周末还有亲子阅读活动。"]),
    ("沿江老街变身文创街区", "本报记者 王芳",
     ["曾经破旧的沿江老街，如今成了年轻人打卡的文创街区，二十多家小店陆续开业。",
      "据介绍，改造保留了老街的青石板路和骑楼，费用由政府和商户共同承担。"]),
    ("夏季游泳安全提示发布", "本报记者 陈晓峰",
     ["市应急管理局昨日发布夏季游泳安全提示，提醒市民不要到野外水域游泳。",
      "家长要看护好孩子，发现有人落水应立即呼救并拨打报警电话。"]),
]


def test_an_epaper_page_of_short_briefs_each_with_headline_and_byline() -> None:
    # Each brief has its own headline and byline under it; two sentences each (< 80 Han).
    page = ["江城日报 2024年06月03日 第05版：社会新闻", ""]
    for title, byline, paragraphs in BRIEFS:
        page += [title, byline, "", *(f"　　{p}" for p in paragraphs), "", "\u3000"]
    page += ["本版编辑：林小云", ""]
    articles = run(page)
    assert [a.metadata.title for a in articles] == [t for t, _, _ in BRIEFS]
    assert [a.metadata.authors for a in articles] == [("罗一鸣",), ("王芳",), ("陈晓峰",)]
    for article, (_, _, paragraphs) in zip(articles, BRIEFS, strict=True):
        assert [b.text for b in article.blocks if b.kind == "paragraph"] == paragraphs


def test_one_brief_with_a_byline_is_not_split_at_a_subheading() -> None:
    # A single story: one byline under the headline, a subheading later (no second opening).
    title, byline, paragraphs = BRIEFS[0]
    page = [title, byline, "", *paragraphs, "", "周末亲子阅读", "", *BRIEFS[1][2], ""]
    articles = run(page)
    assert len(articles) == 1


def test_hong_kong_page_section_date_line_photo_credit_and_neighbour_links() -> None:
    page = [
        "港聞 | 2024年6月3日 星期一", "", "河畔新村夜市重開", "",
        "【某報專訊】河畔新村的夜市昨日重新開張，三十多個攤位沿河堤一字排開，不少居民晚飯後便帶孩子來逛。",
        "", "（圖：讀者提供）", "",
        "攤主說，生意雖不及從前，但回頭客越來越多，大家都盼着夜市一直開下去。", "",
        "上一則：港鐵新線下月通車", "下一則：天文台：本周持續炎熱", "",
    ]
    article = run(page)[0]
    md = article.metadata
    assert md.title == "河畔新村夜市重开"
    assert md.date == "2024-06-03" and md.section == "港闻"
    assert ("photo-credit", "读者") in {(c.role, c.name) for c in md.credits}
    out = texts([article])
    for chrome in ("港闻", "读者", "上一则", "下一则", "天文台"):
        assert chrome not in out, chrome


def test_a_section_word_alone_stays() -> None:
    page = [*ARTICLE, "体育", "", *_wrap("夜市旁的篮球场每晚都有居民打球，街道还组织了周末联赛。", 16), ""]
    assert "体育" in texts(run(page))


def test_pdf_story_opening_with_three_narrow_unpunctuated_lines() -> None:
    # Beside a picture the first lines are set narrower, and none of them happens to hold
    # punctuation; the wider line under them goes on with the sentence.
    narrow = ["河畔新村的夜市由街道办事", "处和沿河商户联合举办的管", "理委员会统一负责运营和管"]
    page = ["B3 港闻", "", "河畔夜市重开", "", *narrow,
            "理，昨日正式重新开张，三十多个摊位沿着河堤一字排开。", *PDF_COLUMN, "",
            "江城日报记者 方小东", ""]
    article = run(page)[0]
    assert article.metadata.title == "河畔夜市重开"
    paragraphs = [b.text for b in article.blocks if b.kind == "paragraph"]
    assert paragraphs[0].startswith("".join(narrow) + "理，昨日正式重新开张"), paragraphs
    assert not [b for b in article.blocks if b.kind == "heading"]


def test_pdf_two_line_headline_above_the_text_stays_a_headline() -> None:
    page = ["B3 港闻", "", "河畔新村夜市昨日重开", "三十多个摊位沿河排开",
            "入夏以来，河畔新村的夜市重新开张，不少居民吃过晚饭便来逛一逛。", *PDF_COLUMN, "",
            "江城日报记者 方小东", ""]
    article = run(page)[0]
    paragraphs = [b.text for b in article.blocks if b.kind == "paragraph"]
    assert paragraphs[0].startswith("入夏以来"), paragraphs
    assert "河畔新村夜市昨日重开" in (article.metadata.title or "")


@pytest.mark.parametrize("glued", [False, True])
def test_a_wire_storys_end_mark_goes(glued: bool) -> None:
    page = [*ARTICLE[:-2], ARTICLE[-2] + "（完）", ""] if glued else [*ARTICLE, "（完）", ""]
    out = texts(run(page))
    assert "完）" not in out and out.endswith("让夜市更有烟火气。"), out


def test_an_end_mark_inside_a_sentence_stays() -> None:
    page = [*ARTICLE[:-2], "摊主说：“这一季的凉粉卖（完）了，明年再来。”", ""]
    assert "卖（完）了" in texts(run(page))


def test_an_editor_credit_behind_a_correction_link_in_brackets() -> None:
    article = run([*ARTICLE, "【纠错】 【责任编辑：林小云】", "返回江城网，查看更多", ""])[0]
    assert [(c.role, c.name) for c in article.metadata.credits] == [("editor", "林小云")]
    out = texts([article])
    assert "纠错" not in out and "查看更多" not in out, out


@pytest.mark.parametrize("line", ["发布时间：06-03 08:15 江城网", "时间：6月3日 08:15", "更新时间：06/03"])
def test_a_published_line_without_a_year_goes(line: str) -> None:
    article = run([ARTICLE[0], "", line, *ARTICLE[1:]])[0]
    out = texts([article])
    assert "08:15" not in out and "时间" not in out, out
    assert article.metadata.title == "河畔新村的夜市重新开张"


@pytest.mark.parametrize(
    ("line", "authors", "people", "affiliation"),
    [
        ("本版责编：林小云 版式：王芳", (), {("editor", "林小云"), ("designer", "王芳")}, None),
        ("编辑 | 林小云", (), {("editor", "林小云")}, None),  # the bar of a WeChat-style credit
        ("文字编辑：林小云 视频：罗一鸣", (), {("editor", "林小云"), ("videographer", "罗一鸣")},
         None),
        ("出品人：王大明", (), {("producer", "王大明")}, None),
        ("采写：方小东", ("方小东",), set(), None),
        ("（本文作者为江城大学教授）", (), set(), "江城大学教授"),
        ("作者单位：江城大学", (), set(), "江城大学"),
    ],
)
def test_more_credit_labels_after_the_story(line: str, authors: tuple[str, ...],
                                            people: set[tuple[str, str]],
                                            affiliation: str | None) -> None:
    article = run([*ARTICLE, line, ""])[0]
    md = article.metadata
    assert md.authors == authors
    assert {(c.role, c.name) for c in md.credits} == people
    assert md.author_affiliation == affiliation
    assert texts([article]).endswith("让夜市更有烟火气。")


def test_pdf_latin_word_wrapped_at_its_hyphen() -> None:
    # pdftotext breaks "Smart-Market" after the hyphen; the hyphen is kept (it may be part
    # of the word), the two lines are one sentence.
    page = ["B3 港闻", "", "夜市引入智慧管理", "",
            "街道负责人介绍，夜市今年引入了Smart-", "Market管理平台和e-pay-", "ment扫码支付，统一了摊位的灯光",
            *PDF_COLUMN, "", "江城日报记者 方小东", ""]
    article = run(page)[0]
    assert article.metadata.title == "夜市引入智慧管理" and article.metadata.subtitle is None
    paragraphs = [b.text for b in article.blocks if b.kind == "paragraph"]
    assert paragraphs[0].startswith(
        "街道负责人介绍，夜市今年引入了Smart-Market管理平台和e-pay-ment扫码支付，"), paragraphs
