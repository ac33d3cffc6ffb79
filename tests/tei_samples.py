"""Hand-built Articles for the TEI tests (shared by test_tei.py)."""

from __future__ import annotations

from newsarchive.model import Article, Block, Credit, Edit, Metadata

SHA = "8a8d1d953e3f51ef" + "0" * 48


def realistic() -> Article:
    md = Metadata(
        title="山城新貌：重庆推进高质量发展",
        subtitle="四川省广安市：",
        authors=("王静", "刘廷"),
        author_affiliation="作者系重庆日报记者",
        credits=(
            Credit("汪新", "photographer", "摄"),
            Credit("李明", "editor", "责任编辑"),
            Credit("张华", "editor", "编审"),
            Credit("陈丽", "editor"),
            Credit("图片除署名外由江津区委宣传部提供", "photo-credit"),
        ),
        newspaper="重庆日报",
        edition="第015版",
        page="15",
        section="奋进新时代·新发展理念在重庆",
        date="2022-10-20",
        url="https://epaper.cqrb.cn/html/cqrb/2022-10/20/015/content_1.htm?a=1&b=2",
        licence="CC BY 4.0",
        language="zh-Hans",
        source_script="zh-Hans",
        source_file="001_7cc6b842f5fc215c.txt",
        source_sha256=SHA,
        source_encoding="utf-8",
        field_sources=(("date", "chrome"), ("edition", "chrome"), ("title", "text")),
    )
    blocks = (
        Block("figure", "吉林大学专场活动", (14,), credit="汪新"),
        Block("paragraph", "宏伟蓝图，重在领航；伟大征程，核心在党。", (20, 21)),
        Block("heading", "组织体系全面延伸", (26,)),
        Block("paragraph", "构建起“村（社区）—小区（网格）—楼栋（院落）”三级党组织架构。", (28,)),
        Block("label", "讲故事 说变化>>>", (112,)),
        Block("paragraph", "数学式 a<b && c>d 与 ]]> 以及 <?xml 都要转义。", (114,)),
        Block("figure", "", (120,), credit="王静"),
    )
    edits = (
        Edit("chrome", "nav.prev-next", "remove", "上一版 下一版", line=3),
        Edit("chrome", "footer.copyright", "remove", "版权所有", line=128),
        Edit("punctuation", "halfwidth.comma", "replace", ",", "，", line=20),
        Edit("join", "broken-sentence", "join", "工作制|度", "工作制度", line=13, doubtful=True),
        Edit("segment", "caption", "classify", "吉林大学专场活动", "figure", line=14),
        Edit("metadata", "edition", "metadata", "第015版", "edition", line=2),
    )
    return Article(md, blocks, edits, source_text="…")


def minimal_hant() -> Article:
    md = Metadata(
        title="遂寧紅薯產業發展",
        title_supplied=True,
        language="zh-Hant",
        source_script="zh-Hant",
        source_file="002_1fe3cad3fdb1668b.txt",
        source_sha256="1fe3cad3fdb1668b" * 4,
        source_encoding="utf-8",
    )
    blocks = (Block("paragraph", "遂寧（安居）紅薯產業發展迅速。", (3,)),)
    edits = (Edit("gloss", "pinyin", "remove", "(qū)", line=3),)
    return Article(md, blocks, edits)
