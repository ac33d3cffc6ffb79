"""Story boundaries on pages we invent: e-paper pages, PDF copies, single web articles."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from newsarchive.model import Article, Block, Metadata
from newsarchive.normalize.split import split_page
from newsarchive.options import Options
from newsarchive.pipeline import normalize_bytes

BODY_A = ("春节前夕，某市交通部门提前部署返程运输保障工作，在各主要站点增设临时售票窗口，"
          "并安排志愿者为旅客提供引导服务。")
BODY_B = ("记者在现场看到，候车大厅秩序井然，旅客们排队进站，工作人员不时提醒大家带好随身物品，"
          "注意出行安全。")
BODY_C = ("据介绍，今年以来该市累计投入资金两亿元，完成道路改造四十余公里，"
          "沿线群众出行条件明显改善。")


def run(text: str) -> list[Article]:
    return normalize_bytes(text.encode("utf-8"), "page.txt", Options())


def three_story_epaper() -> str:
    stories = [
        ("某某县农村公路建设提速——", "“路修好了，日子更有奔头”", "本报记者\u00a0\u00a0王\u00a0\u00a0明"),
        ("某港口春运期间安全有序——", "“从排队到登船，不到一小时”", "本报记者\u00a0\u00a0李晓华"),
        ("某社区开设“周末课堂”——", "“孩子有去处，家长更放心”", "本报记者\u00a0\u00a0赵\u00a0\u00a0刚"),
    ]
    lines = ["", "新春走基层 各地见闻", ""]
    for kicker, title, byline in stories:
        lines += [f"\u3000\u3000{kicker}", f"\u3000\u3000{title}", f"\u3000\u3000{byline}",
                  f"\u3000\u3000{BODY_A}", f"\u3000\u3000{BODY_B}", f"\u3000\u3000{BODY_C}", "\u3000\u3000"]
    return "\r\n".join(lines)


def test_three_story_epaper_page_splits_with_quoted_titles_and_kickers() -> None:
    stories = run(three_story_epaper())
    assert [s.metadata.title for s in stories] == [
        "“路修好了，日子更有奔头”", "“从排队到登船，不到一小时”", "“孩子有去处，家长更放心”"]
    assert [s.metadata.subtitle for s in stories] == [
        "某某县农村公路建设提速——", "某港口春运期间安全有序——", "某社区开设“周末课堂”——"]
    assert all(s.metadata.article_count == 3 for s in stories)
    assert stories[1].metadata.authors == ("李晓华",)
    assert any(e.rule == "split.dateline" for e in stories[1].provenance)


def wrapped(text: str, width: int) -> list[str]:
    return [text[i:i + width] for i in range(0, len(text), width)]


def test_briefs_with_agency_datelines_split_but_subheadings_do_not() -> None:
    lines = ["某某报", "", "A3 要闻", "", "市政府部署冬季供暖保障工作", *wrapped(BODY_A + BODY_B, 18), "",
             "多部门联合巡查", *wrapped(BODY_C + BODY_A, 18), ""]
    for title in ("供暖热线全天开通", "老旧小区管网改造完成"):
        lines += [title, *wrapped("【某某报讯】" + BODY_B + BODY_C, 16), ""]
    stories = run("\n".join(lines))
    assert [s.metadata.title for s in stories] == [
        "市政府部署冬季供暖保障工作", "供暖热线全天开通", "老旧小区管网改造完成"]


def test_story_after_closing_credits_and_a_caption_is_not_a_story() -> None:
    lines = ["某区推进老旧小区改造", "", BODY_A, "", BODY_B, "", "某某报记者 孙丽", "",
             "▲工人正在改造管网。", "某某报记者王强摄", "", "某街道新建口袋公园", BODY_C, BODY_A, "",
             "某某报记者 周平", "", "▲居民在公园散步。"]
    stories = run("\n".join(lines))
    assert [s.metadata.title for s in stories] == ["某区推进老旧小区改造", "某街道新建口袋公园"]
    assert "孙丽" in stories[0].metadata.authors and stories[1].metadata.authors == ("周平",)


def test_drop_cap_lede_in_a_pdf_copy_starts_a_story() -> None:
    lede = wrapped(BODY_C, 12)[:3]
    rest = wrapped(BODY_C[36:] + BODY_A + BODY_B, 20)
    lines = ["某市举办科技成果展", *wrapped(BODY_A + BODY_B, 20), "", "分论坛聚焦人工智能",
             *wrapped(BODY_C + BODY_A, 20), "", "专家：数据安全须先行", *lede, *rest]
    stories = run("\n".join(lines))
    assert [s.metadata.title for s in stories] == ["某市举办科技成果展", "专家：数据安全须先行"]


def test_single_web_article_with_menus_and_name_like_menu_words_does_not_split() -> None:
    lines = ["首页 新闻 财经 体育", "文化 教育 健康", "", "某市召开城市更新推进会", "",
             "2023-05-01 10:30 来源：某某网", "", BODY_A, BODY_B, "", "文章 国际", "", "热门新闻",
             "某地发布暴雨预警", "某校举办运动会", "", "文化 应急 公益", BODY_C]
    stories = run("\n".join(lines))
    assert len(stories) == 1
    assert stories[0].metadata.title == "某市召开城市更新推进会"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["", BODY_A, BODY_B, "某市召开城市更新推进会", "本报记者 王明",
                                 "【某某报讯】" + BODY_C, "▲图为现场。", "某某报记者 周平", "要闻"]),
                max_size=30))
def test_split_keeps_every_block_in_order(texts: list[str]) -> None:
    blocks = tuple(Block("line", t, (n,)) for n, t in enumerate(texts, start=1))
    page = Article(Metadata(newspaper="某某报"), blocks)
    stories = split_page(page)
    assert tuple(b for s in stories for b in s.blocks) == blocks
    assert all(s.metadata.newspaper == "某某报" for s in stories)
    assert [s.metadata.article_index for s in stories] == list(range(1, len(stories) + 1))
