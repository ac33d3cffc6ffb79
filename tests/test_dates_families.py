"""Date and header-field families on variants written for the tests."""

from __future__ import annotations

import pytest

from newsarchive.normalize.dates import parse_compact
from newsarchive.options import Options
from newsarchive.pipeline import normalize_bytes

BODY_1 = ("近日，某市召开城市更新工作推进会，会议强调要坚持以人民为中心的发展思想，"
          "统筹推进老旧小区改造、背街小巷整治和公共空间提升。")
BODY_2 = ("据介绍，今年以来全市累计改造老旧小区120个，惠及居民3.6万户，"
          "新建口袋公园35个，群众满意度持续提升。")
BODY_3 = "下一步，该市将继续推进城市更新行动，让群众生活更方便、更舒心、更美好。"
TITLE = "城市更新跑出加速度"


def run(lines: list[str], **options: str):
    (article,) = normalize_bytes("\n".join(lines).encode("utf-8"), "x.txt", Options(**options))  # type: ignore[arg-type]
    return article


@pytest.mark.parametrize("code,date", [
    ("20010404", "2001-04-04"), ("1120823", "2023-08-23"), ("20011332", None), ("1234567", None),
])
def test_compact_dates(code: str, date: str | None) -> None:
    assert parse_compact(code) == date


@pytest.mark.parametrize("line,date", [
    ("2019年06月15日08:18  来源：某某网-文化频道", "2019-06-15"),
    ("2023/8/23 15:06（8/23 15:31 更新）", "2023-08-23"),
    ("發布時間：2022-07-01 10:00", "2022-07-01"),
    ("民國112年8月23日", "2023-08-23"),
    ("112年8月23日 星期三", "2023-08-23"),
])
def test_date_lines_beside_the_headline(line: str, date: str) -> None:
    article = run([TITLE, line, BODY_1, BODY_2, BODY_3])
    assert article.metadata.date == date


def test_a_date_without_year_takes_it_from_the_page() -> None:
    lines = ["首页", "新闻", "", TITLE, "3月8日(三) 10:20", BODY_1, BODY_2, BODY_3, "",
             "版权所有 © 2023 某某传媒"]
    assert run(lines).metadata.date == "2023-03-08"  # a Wednesday in 2023


def test_the_articles_own_date_beats_a_calendar_widget() -> None:
    lines = ["2023年3月9日 星期四 农历二月十八", "首页 新闻 体育 财经", "", "", "", "", "", "", "",
             TITLE, "2023-03-08 10:20 来源：某某网", BODY_1, BODY_2, BODY_3]
    assert run(lines).metadata.date == "2023-03-08"


def test_a_date_inside_a_sentence_is_an_event() -> None:
    lines = [TITLE, "2021年5月3日上午，该市召开城市更新工作推进会，统筹推进老旧小区改造、背街小巷整治。",
             BODY_2, BODY_3]
    assert run(lines).metadata.date is None


def test_corpus_header_block() -> None:
    lines = ["【 文献号 】3-105", "【原文出处】《江南日报》", "【原刊期号】19990712", "【原刊页号】③",
             "【 标  题 】城市更新的几点思考", "【 作  者 】周明远", "【 正  文 】",
             "    " + BODY_1, "    " + BODY_2]
    article = run(lines)
    md = article.metadata
    assert md.title == "城市更新的几点思考" and md.authors == ("周明远",)
    assert md.date == "1999-07-12" and md.newspaper == "江南日报"
    assert [b.text for b in article.blocks if b.kind == "paragraph"] == [BODY_1, BODY_2]
    removed = [e for e in article.provenance if e.rule == "fields.header"]
    assert len(removed) == 7


def test_two_bracket_lines_are_not_a_header_block() -> None:
    article = run(["【编辑：王小明】", "【图片】", TITLE, BODY_1, BODY_2])
    assert not [e for e in article.provenance if e.rule == "fields.header"]


@pytest.mark.parametrize("lines,paper", [
    ([TITLE, "【江南日报讯】" + BODY_1, BODY_2], "江南日报"),
    ([TITLE, "本报讯 " + BODY_1, BODY_2], None),
    ([TITLE, "来源：滨海晚报", BODY_1, BODY_2], "滨海晚报"),
])
def test_newspaper_from_the_story(lines: list[str], paper: str | None) -> None:
    assert run(lines).metadata.newspaper == paper
