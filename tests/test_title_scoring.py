"""Titles chosen by scoring candidates, on variants we invent."""

from __future__ import annotations

import pytest

from newsarchive.normalize.title import furniture, is_headline, page_title
from newsarchive.options import Options
from newsarchive.pipeline import normalize_bytes

BODY = ("近日，某市召开城市更新工作推进会，会议强调要坚持以人民为中心的发展思想，"
        "统筹推进老旧小区改造、背街小巷整治和公共空间提升。")
BODY_2 = ("据介绍，今年以来全市累计改造老旧小区120个，惠及居民3.6万户，"
          "新建口袋公园35个，群众满意度持续提升。")


def first(text: str):
    (article,) = normalize_bytes(text.encode("utf-8"), "x.txt", Options())
    return article


def test_page_title_line_and_menu_before_the_headline() -> None:
    lines = ["城市更新跑出加速度，老街焕新颜_地方新闻_某某网", "登录", "注册", "首页", "新闻", "搜索",
             "设置首页", "城市更新跑出加速度，老街焕新颜", "2023-05-01 10:30", "来源：某某网", "调整字体",
             BODY, BODY_2]
    article = first("\n".join(lines))
    assert article.metadata.title == "城市更新跑出加速度，老街焕新颜"
    assert not article.metadata.title_supplied
    assert any(e.rule == "title.page-title-line" for e in article.provenance)


def test_kicker_headline_and_subtitle() -> None:
    lines = ["", "某省某市：", "", "实施“老街新生”行动 推动城市有机更新", "——某市推进城市更新工作纪实", "",
             BODY, BODY_2]
    md = first("\n".join(lines)).metadata
    assert md.title == "实施“老街新生”行动 推动城市有机更新"
    assert md.subtitle and md.subtitle.replace(" ", "") == "某省某市：——某市推进城市更新工作纪实"


def test_title_with_a_question_mark_is_kept_whole() -> None:
    md = first("\n".join(["", "老街改造，居民满意吗?", "", BODY, BODY_2])).metadata
    assert md.title in ("老街改造，居民满意吗?", "老街改造，居民满意吗？")


def test_edition_masthead_and_series_label_are_not_titles() -> None:
    lines = ["某某报", "", "A7 要闻", "", "2023年5月1日 星期一", "", "老街改造 一街一策",
             "", "城市更新系列报道❷", BODY, BODY_2]
    assert first("\n".join(lines)).metadata.title == "老街改造 一街一策"


def test_a_longer_deck_below_a_short_headline_is_the_subtitle() -> None:
    lines = ["首页 > 要闻", "", "某市老街改造全面启动", "", "首批十二条街巷年内完成提升改造并向市民开放", "",
             "时间：2023-05-01 来源：某某日报", BODY, BODY_2]
    md = first("\n".join(lines)).metadata
    assert md.title == "某市老街改造全面启动"
    assert md.subtitle == "首批十二条街巷年内完成提升改造并向市民开放"


def test_no_printed_title_is_supplied_from_the_opening() -> None:
    md = first("\n".join(["首页 新闻 财经", "", BODY, BODY_2])).metadata
    assert md.title_supplied


@pytest.mark.parametrize("line", ["A7 要闻", "第015版：要闻", "大公报", "[TopTitle]", "搜索",
                                  "首页 > 新闻中心 > 正文", "2019-12-10 07:57:40 来源：某某网",
                                  "• 即时新闻", "长江网10月4日讯", "新闻 天下 时评 社会"])
def test_furniture_lines(line: str) -> None:
    assert furniture(line) is not None or not is_headline(line)


@pytest.mark.parametrize("line", ["某市老街改造全面启动", "“路修好了，日子更有奔头”",
                                  "女儿出嫁，画家画了几笔兰花当嫁妆", "医管局：十五间医院全力救治伤者",
                                  "5校续停课 教局容区内校本决定"])
def test_headlines(line: str) -> None:
    assert is_headline(line)


def test_page_title_segments() -> None:
    assert page_title("城市更新跑出加速度_地方新闻_某某网_example.cn") == "城市更新跑出加速度"
    assert page_title("城市更新跑出加速度 - 某某网") == "城市更新跑出加速度"
    assert page_title("城市更新跑出加速度|某某日报") == "城市更新跑出加速度"
    assert page_title("首页 | 新闻") is None
    assert page_title(BODY) is None
