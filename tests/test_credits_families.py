"""Credit families on variants written for the tests (never copied from real pages)."""

from __future__ import annotations

import pytest

from newsarchive.options import Options
from newsarchive.pipeline import normalize_bytes

BODY_1 = ("近日，某市召开城市更新工作推进会，会议强调要坚持以人民为中心的发展思想，"
          "统筹推进老旧小区改造、背街小巷整治和公共空间提升。")
BODY_2 = ("据介绍，今年以来全市累计改造老旧小区120个，惠及居民3.6万户，"
          "新建口袋公园35个，群众满意度持续提升。")
TITLE = "城市更新跑出加速度"


def run(lines: list[str], **options: str):
    text = "\n".join(lines)
    (article,) = normalize_bytes(text.encode("utf-8"), "x.txt", Options(**options))  # type: ignore[arg-type]
    return article


def paragraphs(article) -> list[str]:
    return [b.text for b in article.blocks if b.kind == "paragraph"]


def editors(article) -> list[str]:
    return list(article.metadata.people("editor"))


@pytest.mark.parametrize("line,names", [
    ("【编辑：王小明】", ["王小明"]),
    ("(责编：李华、赵强)", ["李华", "赵强"]),
    ("［责任编辑：孙悦］", ["孙悦"]),
    ("（编辑：陈一鸣）", ["陈一鸣"]),
    ("责任编辑：周 敏", ["周敏"]),
])
def test_editor_lines_bare_or_in_brackets(line: str, names: list[str]) -> None:
    article = run([TITLE, BODY_1, BODY_2, line])
    assert editors(article) == names
    assert paragraphs(article) == [BODY_1, BODY_2]


def test_editor_with_a_date_code_glued_to_the_last_paragraph() -> None:
    article = run([TITLE, BODY_1, BODY_2 + "（编辑：陈一鸣）1121015"])
    assert editors(article) == ["陈一鸣"]
    assert paragraphs(article) == [BODY_1, BODY_2]
    assert article.metadata.date == "2023-10-15"  # Minguo 112


def test_layout_is_not_an_editor() -> None:
    article = run([TITLE, BODY_1, BODY_2, "版式设计：钱晓东", "责任编辑：孙悦"])
    assert editors(article) == ["孙悦"]
    assert article.metadata.people("designer") == ("钱晓东",)


@pytest.mark.parametrize("byline,authors", [
    ("本报记者 刘  洋", ["刘洋"]),
    ("本报记者\u00a0\u00a0刘\u00a0\u00a0洋\u00a0\u00a0孙立平", ["刘洋", "孙立平"]),
    ("■记者 黄志强 通讯员 马丽", ["黄志强", "马丽"]),
    ("文/周杰", ["周杰"]),
    ("某某晚报记者 郑海波", ["郑海波"]),
])
def test_bylines(byline: str, authors: list[str]) -> None:
    article = run([TITLE, byline, BODY_1, BODY_2])
    assert list(article.metadata.authors) == authors
    assert paragraphs(article) == [BODY_1, BODY_2]


def test_byline_split_over_two_lines() -> None:
    article = run([TITLE, BODY_1, "", "某某日报记者", "", "孙立平、周敏", "", BODY_2])
    assert list(article.metadata.authors) == ["孙立平", "周敏"]
    assert "孙立平、周敏" not in "".join(paragraphs(article))


@pytest.mark.parametrize("lead,kept", [
    ("新华社上海3月5日电（记者王海）", "新华社上海3月5日电"),
    ("（中央社记者林志明台中5日电）", "（中央社台中5日电）"),
    ("〔记者黄建华／高雄报导〕", ""),
    ("【某某报讯】记者钱进报道：", "【某某报讯】"),
    ("本市讯（记者 冯雪 通讯员 何川）", "本市讯"),
])
def test_credit_opening_the_first_paragraph(lead: str, kept: str) -> None:
    article = run([TITLE, lead + BODY_1, BODY_2])
    assert paragraphs(article)[0] == kept + BODY_1
    assert article.metadata.authors


@pytest.mark.parametrize("tail,authors", [
    ("（张国强）", ["张国强"]),
    ("(文/图 马丽 周杰)", ["马丽", "周杰"]),
    ("（新华社北京3月5日电 记者王海、李静）", ["王海", "李静"]),
])
def test_credit_closing_the_last_paragraph(tail: str, authors: list[str]) -> None:
    article = run([TITLE, BODY_1, BODY_2 + tail, "", "相关新闻"])
    assert list(article.metadata.authors) == authors
    assert paragraphs(article)[-1] == BODY_2


def test_dateline_byline_on_its_own_line() -> None:
    article = run([TITLE, BODY_1, BODY_2, "（新华社北京3月5日电  记者王海、李静）"])
    assert list(article.metadata.authors) == ["王海", "李静"]
    assert paragraphs(article) == [BODY_1, BODY_2]


def test_traditional_source_matches_the_same_rules() -> None:
    article = run([
        "城市更新跑出加速度", "〔記者黃建華／高雄報導〕市府昨召開城市更新工作推進會，強調統籌推進老舊社區改造。",
        "據介紹，今年以來全市累計改造老舊社區120個，惠及居民3.6萬戶。（編輯：陳一鳴）1121015",
    ], script="hant")
    assert list(article.metadata.authors) == ["黃建華"]
    assert editors(article) == ["陳一鳴"]
    assert paragraphs(article)[0].startswith("市府昨召開")


def test_info_line_gives_date_paper_and_editor() -> None:
    article = run([TITLE, "• 时间：2021-04-12 09:30 来源：江南日报", BODY_1, BODY_2,
                   "发布日期：2021-04-12 责任编辑：吴芳"])
    md = article.metadata
    assert md.date == "2021-04-12" and md.newspaper == "江南日报"
    assert editors(article) == ["吴芳"]
    assert paragraphs(article) == [BODY_1, BODY_2]


@pytest.mark.parametrize("sentence", [
    "记者从市交通运输局了解到，今年春运期间全市共发送旅客120万人次，同比增长一成。",
    "本报编辑部近日收到读者来信，反映小区停车难问题，记者随即赶赴现场了解情况。",
    "张国强说：“我们会继续做好服务。”（完）",
    "会议由市委书记王海主持，编辑、记者和通讯员代表参加了座谈。",
])
def test_body_sentences_with_credit_words_survive(sentence: str) -> None:
    article = run([TITLE, BODY_1, sentence, BODY_2])
    assert sentence in paragraphs(article)
    assert not article.metadata.authors


def test_a_short_heading_is_not_a_names_line() -> None:
    article = run([TITLE, BODY_1, "", "讲故事 说变化", "", BODY_2])
    assert not article.metadata.authors


def test_names_between_two_body_lines_are_not_a_byline() -> None:
    article = run([TITLE, BODY_1, "王海", BODY_2])
    assert not article.metadata.authors
