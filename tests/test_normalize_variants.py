"""The rules on damage the seeds do not show: other papers, encodings, PDF copies, web pages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from newsarchive.errors import InputError
from newsarchive.normalize.chrome import match_line
from newsarchive.normalize.script import converter
from newsarchive.options import Options
from newsarchive.pipeline import normalize_bytes
from newsarchive.readers.text import decode

DATA = Path(__file__).parent / "data"

PARAGRAPH_1 = ("近日，某市召开城市更新工作推进会，会议强调要坚持以人民为中心的发展思想，"
               "统筹推进老旧小区改造、背街小巷整治和公共空间提升。")
PARAGRAPH_2 = ("据介绍，今年以来全市累计改造老旧小区120个，惠及居民3.6万户，"
               "新建口袋公园35个，群众满意度持续提升。")


def one(text: str, name: str = "x.txt", **options: str) -> list:
    return normalize_bytes(text.encode("utf-8"), name, Options(**options))  # type: ignore[arg-type]


def paragraphs(article) -> list[str]:
    return [b.text for b in article.blocks if b.kind == "paragraph"]


@pytest.mark.parametrize("line", [
    "分享到：", "分享到 微信 微博 QQ空间", "扫一扫 在手机打开当前页", "打印本页 关闭窗口", "【字号 大 中 小】",
    "【打印】【关闭】", "来源：光明日报", "发布时间：2023-05-01 10:30", "相关链接", "相关新闻：",
    "京ICP备05070602号", "渝公网安备 50010502000123号", "返回顶部", "当前位置：首页 > 新闻中心 > 正文",
    "浏览次数：1024", "上一篇 下一篇", "版权所有 © 2023 某某日报社",
    "地址：北京市朝阳区金台西路2号 邮编：100733", "联系电话：010-12345678", "网站地图 | 联系我们 | 关于我们",
    "← 上一页 下一页 →", "原标题：城市更新跑出加速度", "点击查看原图", "人民日报 2023年5月1日 第3版",
    "2023年05月01日 星期一", "A3版：要闻", "第03版：综合新闻", "1/5", "0", "打开APP阅读全文",
])
def test_web_and_epaper_chrome_is_recognised(line: str) -> None:
    assert match_line(line) is not None


@pytest.mark.parametrize("line", [
    PARAGRAPH_1, "大家分享了各自的经验，相关部门负责人提供了政策解读。", "责任重于泰山，使命催人奋进。",
    "5个支柱产业党建联盟 激活高质量发展红色引擎", "吉林大学专场活动", "中国", "小", "2021年10月,川渝高竹",
])
def test_body_words_are_not_chrome(line: str) -> None:
    assert match_line(line) is None


def test_web_page_chrome_becomes_metadata() -> None:
    page = "\n".join([
        "当前位置：首页 > 要闻", "城市更新跑出加速度", "来源：光明日报  发布时间：2023-05-01", "【字号 大 中 小】",
        "发布时间：2023-05-01 10:30", PARAGRAPH_1, PARAGRAPH_2, "分享到：", "相关新闻", "京ICP备05070602号",
        "返回顶部",
    ])
    (article,) = one(page)
    assert article.metadata.title == "城市更新跑出加速度"
    assert article.metadata.date == "2023-05-01"
    assert article.metadata.newspaper == "光明日报"
    assert paragraphs(article) == [PARAGRAPH_1, PARAGRAPH_2]


def test_pdf_copy_with_hard_wraps_and_running_header() -> None:
    """Text copied from a PDF: lines wrapped at the column, a running header mid-sentence."""
    text = PARAGRAPH_1 + PARAGRAPH_2
    wrapped = [text[i:i + 23] for i in range(0, 46, 23)]
    lines = ["某市推进城市更新", "本报记者 李明", wrapped[0], "经济日报 2023年5月1日 第5版", wrapped[1],
             text[46:]]
    (article,) = one("\n".join(lines))
    assert article.metadata.authors == ("李明",)
    assert article.metadata.newspaper == "经济日报" and article.metadata.page == "5"
    assert "".join(paragraphs(article)) == text


def test_broken_line_does_not_merge_real_paragraphs_or_headings() -> None:
    page = "\n".join([
        "标题一行", "", PARAGRAPH_1[:30], "", PARAGRAPH_1[30:], "", "坚持规划引领 推进有机更新", "",
        PARAGRAPH_2, PARAGRAPH_1,
    ])
    (article,) = one(page)
    assert [(b.kind, b.text) for b in article.blocks] == [
        ("paragraph", PARAGRAPH_1), ("heading", "坚持规划引领 推进有机更新"),
        ("paragraph", PARAGRAPH_2), ("paragraph", PARAGRAPH_1)]


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "big5", "utf-16", "utf-8-sig", "utf-16-le"])
def test_encodings(encoding: str) -> None:
    text = "城市更新跑出加速度\r\n" + ("近日，某市召开城市更新工作推进會議，會議強調要堅持以人民為中心。" * 3)
    if encoding == "big5":
        text = converter("s2t").convert(text)
    decoded, _encoding = decode(text.encode(encoding), "x.txt")
    assert decoded == text
    (article,) = normalize_bytes(text.encode(encoding), "x.txt")
    assert article.metadata.title == "城市更新跑出加速度"
    assert article.metadata.source_encoding


@pytest.mark.parametrize("data,cause", [
    (b"", "empty"), (b"   \n\t\n", "empty"), (b"\x89PNG\r\n\x1a\n\0\0\0", "PNG"),
    (b"%PDF-1.4\n%\xe2\xe3", "PDF"), (b"PK\x03\x04\x14\0\0\0", "ZIP"),
    (bytes(range(256)) * 8, "binary"),
])
def test_bad_input_is_a_clear_error(data: bytes, cause: str) -> None:
    with pytest.raises(InputError) as caught:
        normalize_bytes(data, "bad.txt")
    assert "bad.txt" in str(caught.value) and cause.lower() in str(caught.value).lower()


def test_control_and_invisible_characters_are_removed() -> None:
    dirty = "标\u200b题\u202e行\n" + PARAGRAPH_1.replace("会", "会\x07\ufeff") + "\uffff"
    (article,) = one(dirty)
    assert article.metadata.title == "标题行"
    assert paragraphs(article) == [PARAGRAPH_1]
    rules = {e.rule for e in article.provenance if e.step == "characters"}
    assert {"char.zero-width", "char.bidi-control", "char.control", "char.noncharacter"} <= rules


def test_credits_variants() -> None:
    page = "\n".join([
        "城市更新跑出加速度", "本报记者 张三 通讯员 李四", PARAGRAPH_1, "某市城市更新现场（王五 摄）",
        PARAGRAPH_2 + "（作者单位：某市住建局）", "编辑：赵六 校对：钱七",
    ])
    (article,) = one(page)
    md = article.metadata
    assert md.authors == ("张三", "李四")
    assert md.people("photographer") == ("王五",)
    assert [(c.label, c.name) for c in md.credits if c.role == "editor"] == [
        ("编辑", "赵六"), ("校对", "钱七")]
    figures = [(b.text, b.credit) for b in article.blocks if b.kind == "figure"]
    assert figures == [("某市城市更新现场", "王五")]


def test_traditional_target_and_keep() -> None:
    (hant,) = one("城市更新\n" + PARAGRAPH_1, script="hant")
    assert hant.metadata.language == "zh-Hant"
    assert "會議強調" in paragraphs(hant)[0]
    (kept,) = one("城市更新\n" + PARAGRAPH_1, script="keep")
    assert paragraphs(kept) == [PARAGRAPH_1]


def test_punctuation_keep() -> None:
    (article,) = one("城市更新\n" + PARAGRAPH_1.replace("，", ","), punctuation="keep")
    assert "," in paragraphs(article)[0]


def _opencc_cases() -> list[tuple[str, str, str]]:
    raw = (DATA / "opencc" / "testcases.json").read_text("utf-8")
    cases = json.loads(re.sub(r",(\s*[}\]])", r"\1", raw))["cases"]
    return [(config, case["input"], case["expected"][config])
            for case in cases for config in ("t2s", "s2t") if config in case["expected"]]


@pytest.mark.parametrize("config,source,expected", _opencc_cases())
def test_opencc_own_test_cases(config: str, source: str, expected: str) -> None:
    """OpenCC's own test cases for every configuration we offer (hans = t2s, hant = s2t)."""
    assert converter(config).convert(source) == expected


def test_news_agency_article_with_dateline_credit_and_punctuated_caption() -> None:
    page = "\n".join([
        "习近平会见外国领导人", "2023-05-01 08:30:15　来源：新华网 作者：张三、李四", "【字号 大 中 小】",
        "新华社北京5月1日电（记者张三、李四）国家主席习近平1日在人民大会堂会见来华进行国事访问的某国总统，双方深入交换意见。",
        "", "5月1日，国家主席习近平在北京人民大会堂会见某国总统。新华社记者 王五 摄", "",
        "某国总统表示，某方高度重视发展对华关系，愿同中方加强各领域合作。", "责任编辑：赵六",
    ])
    (article,) = one(page)
    md = article.metadata
    assert md.title == "习近平会见外国领导人" and md.date == "2023-05-01"
    assert md.authors == ("张三", "李四")
    assert md.people("photographer") == ("王五",) and md.people("editor") == ("赵六",)
    assert [(b.kind, b.text[:12], b.credit) for b in article.blocks] == [
        ("paragraph", "新华社北京5月1日电国家", None),
        ("figure", "5月1日，国家主席习近平", "王五"),
        ("paragraph", "某国总统表示，某方高度重", None),
    ]
