"""Golden tests over the five seeds: what a careful archivist would extract by hand."""

from __future__ import annotations

import re

import pytest

from newsarchive.model import Article
from newsarchive.normalize.chrome import match_line

# Phrases of page chrome that must not survive into any body.
CHROME = ["上一版", "下一版", "上一篇", "下一篇", "放大", "缩小", "默认", "版权所有", "邮编", "技术支持",
          "报业集团主办", "重庆日报 | 重庆科技报", "编辑:", "责任编辑", "编审", "图片由", "摄/", "责编",
          "作者系", "■"]


def body(article: Article) -> str:
    return "\n".join(b.text for b in article.blocks)


def kinds(article: Article, kind: str) -> list[str]:
    return [b.text for b in article.blocks if b.kind == kind]


def test_seed_count(seed_articles: dict[str, list[Article]]) -> None:
    assert {k: len(v) for k, v in seed_articles.items()} == {
        "000": 1, "001": 1, "002": 1, "003": 2, "004": 1}


@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_no_chrome_left(seed_articles: dict[str, list[Article]], seed: str) -> None:
    for article in seed_articles[seed]:
        text = body(article)
        for phrase in CHROME:
            assert phrase not in text, phrase
        assert not re.search(r"^\d+$", text, re.M)  # no stray counters
        for block in article.blocks:
            assert match_line(block.text) is None, block.text


def test_000(seed_articles: dict[str, list[Article]]) -> None:
    (article,) = seed_articles["000"]
    md = article.metadata
    assert md.title_supplied and md.title == "宏伟蓝图，重在领航；伟大征程，核心在党"
    assert md.authors == ("韩慧林",)
    assert [(c.label, c.name) for c in md.credits if c.role == "editor"] == [
        ("编辑", "冯方湲"), ("责任编辑", "金艳"), ("编审", "吴山冠")]
    assert kinds(article, "figure") == ["吉林大学专场活动"]
    assert kinds(article, "heading") == []
    assert len(kinds(article, "paragraph")) == 37
    text = body(article)
    assert text.rstrip().endswith("提供更加坚强的政治引领和组织保障！")  # "(韩慧林)" gone
    assert "閤乐祠" in text  # a proper noun's variant character survives
    for kept in ["村（社区）", "小区（网格）", "楼栋（院落）", "校（院）长", "学校（医院）",
                 "院士（专家）", "西南（自贡）", "“红船引领 扬帆未来”", "2024、2025", "“1+N”", "1.2万"]:
        assert kept in text, kept
    assert "," not in text and ";" not in text


def test_001(seed_articles: dict[str, list[Article]]) -> None:
    (article,) = seed_articles["001"]
    md = article.metadata
    assert md.title == "南川 党建引领促发展 凝心筑梦谱新篇" and not md.title_supplied
    assert md.newspaper == "重庆日报"
    assert (md.edition, md.page, md.section) == ("第015版", "15", "奋进新时代·新发展理念在重庆")
    assert md.date == "2022-10-20"
    assert md.authors == ("王静", "刘廷")
    assert md.people("photographer") == ("汪新",)
    assert md.people("photo-credit") == ("南川区委宣传部",)
    figures = [(b.text, b.credit) for b in article.blocks if b.kind == "figure"]
    assert figures == [("创新探索组建“书记工作室”", None), ("南川区网联会成员直播带货助农增收", None),
                       ("开展廉洁主题教育", "汪新")]
    assert kinds(article, "heading") == [
        "传递“好声音” 让党的创新理论“飞入寻常百姓家”", "密织“能力网” 打通服务群众的“最后一米”",
        "筑牢“压舱石” 营造风清气正的政治生态", "画好“同心圆” 广泛凝聚共识寻求“最大公约数”",
        "农家院坝话幸福"]
    assert kinds(article, "label") == ["讲故事 说变化"]
    assert len(kinds(article, "paragraph")) == 46
    assert body(article).count("南川 党建引领促发展") == 0  # the title is not repeated in the body


def test_002_traditional_with_glosses(seed_articles: dict[str, list[Article]]) -> None:
    (article,) = seed_articles["002"]
    md = article.metadata
    assert md.source_script == "zh-Hant" and md.language == "zh-Hans"
    assert md.authors == ("吴军",)
    assert md.author_affiliation == "中共遂宁市安居区委书记"
    assert [(c.label, c.name) for c in md.credits] == [("责编", "刘艳梅")]
    assert md.title_supplied and md.title == "党的二十大报告强调"
    text = body(article)
    assert not re.search(r"[(（][a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]", text)
    assert "遂宁（安居）红薯" in text
    assert text.startswith("党的二十大报告强调，“增强党组织政治功能和组织功能”")
    assert len(kinds(article, "paragraph")) == 4
    glosses = [e for e in article.provenance if e.rule == "pinyin.gloss"]
    assert sum(int(e.result.split()[0]) for e in glosses) == 195
    converted = [e for e in article.provenance if e.step == "script" and e.action == "metadata"
                 and e.rule.startswith("opencc")]
    assert converted and int(converted[0].result.split()[0]) == 372  # 36.65 % of Han


def test_003_two_articles(seed_articles: dict[str, list[Article]]) -> None:
    first, second = seed_articles["003"]
    assert first.metadata.title == "江津 持续强化非公党建 助力经济高质量发展"
    assert first.metadata.authors == ("张亚飞", "孔德虎", "唐彬")
    assert first.metadata.people("photo-credit") == ("江津区委非公工委",)
    assert second.metadata.title == "丰都高家镇 建设高品质现代化小镇 全面助推乡村振兴"
    assert second.metadata.authors == ("王静", "吴雪莹")
    assert second.metadata.people("photo-credit") == ("丰都县高家镇政府",)
    assert (first.metadata.article_index, second.metadata.article_index) == (1, 2)
    assert kinds(first, "heading") == [
        "5个支柱产业党建联盟 激活高质量发展红色引擎", "59对“企村共建” 为乡村振兴注入产业活力",
        "“三联共建” 建强非公企业党组织战斗堡垒"]
    assert kinds(first, "label") == ["链接"]
    assert kinds(first, "figure") == ["江津区支柱产业党建联盟在白沙工业园召开推介会",
                                      "重庆三峡电线电缆科技股份有限公司同路镇同福村开展植树节共建活动"]
    assert kinds(second, "figure") == ["生态宜居的乡村振兴示范村——建国村", "高家镇商业街"]
    assert kinds(second, "heading") == ["增颜值提气质 城乡面貌大变样", "三产并举 打造乡村振兴示范样本",
                                        "建管并重 促“一时之美”成“长久之美”"]
    a, b = body(first), body(second)
    for joined in ["工作制度，搭建", "为进一步发展", "产业发展政策并推动落实", "教育引导农民群众关心",
                   "优势”指指成拳”"]:
        assert joined in a, joined
    for joined in ["“东进、西拓、北优”", "猪之萌、丰泽园", "改造升级、特色产业", "浪漫汶溪生态园等农业综合体"]:
        assert joined in b, joined
    assert "丰都" not in a and "江津" not in b
    assert "入口口" in b and "藁头" in b  # damage in the source is not "fixed"
    # the caption that cut "政|策" follows its paragraph
    blocks = [blk.text for blk in first.blocks]
    lifted = blocks.index("江津区支柱产业党建联盟在白沙工业园召开推介会")
    assert "产业发展政策并推动落实" in blocks[lifted - 1]
    doubtful = [e for e in first.provenance if e.doubtful]
    assert any("指\n指" in e.text for e in doubtful)


def test_004(seed_articles: dict[str, list[Article]]) -> None:
    (article,) = seed_articles["004"]
    md = article.metadata
    assert md.subtitle == "四川省广安市：" and md.title == "实施“新兴甯州”行动 推动两新党建提质"
    assert md.authors == ("郭文治", "李彤彤") and md.newspaper == "中国城市报"
    assert kinds(article, "heading") == [
        "提质“两个覆盖” 将空白点变为实点", "筑牢“信仰之基” 用党史红助推业绩红",
        "聚力“同城融圈” 让党建强引领发展强", "深化“红色联姻” 以微实事实亮微心愿"]
    assert kinds(article, "figure") == ["广安经济技术开发区举行党史学习教育“送学上门”启动仪式。"]
    text = body(article)
    for joined in ["“红色工匠室”10个", "商圈楼宇党员驿站", "川渝高竹新区党工委", "引导社区征集需求"]:
        assert joined in text, joined
    assert text.count("甯州") == 2 and "宁州" not in text
    for kept in ["一企（社）一策", "商（协）会", "出资（负责）人", "（总投资310亿元）", "楼宇（商圈市场）"]:
        assert kept in text, kept
    assert len(kinds(article, "paragraph")) == 21


def test_every_edit_is_located(seed_articles: dict[str, list[Article]]) -> None:
    for articles in seed_articles.values():
        for article in articles:
            for edit in article.provenance:
                assert edit.step and edit.rule and edit.action
                if edit.step in ("chrome", "credits", "pinyin", "segment"):
                    assert edit.line is not None, edit
