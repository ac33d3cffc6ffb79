"""Bounded fuzzing: scraped-like text never crashes the normaliser, normalising is stable,
and every article yields TEI that validates against the project schema."""

from __future__ import annotations

import os
from dataclasses import replace

from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st

from newsarchive.errors import InputError
from newsarchive.model import Metadata
from newsarchive.normalize import normalize
from newsarchive.options import Options
from newsarchive.pipeline import normalize_bytes
from newsarchive.validate import validate_tei
from newsarchive.writers.tei import write_tei

HAN = "党建引领发展城市乡村振兴企业服务群众治理文化经济社会组织建设工作推进全面提升重庆江津广安甯閤報導這區"
CHROME = ["上一版 下一版", "3上一篇  下一篇4", "放大 缩小 默认", "分享到：", "【字号 大 中 小】", "0",
          "重庆日报 | 重庆科技报", "版权所有 未经授权不得转载", "第003版:要闻", "2023 年 5 月 1 日 星期一",
          "编辑:张三", "王静 刘廷", "■本报记者 李四", "图片由某某提供", "摄/汪新", "京ICP备12345678号"]
JUNK = "\x00\x01\x1b\u200b\u202e\ufeff\u3000\xa0\ufffe\t"

run = st.text(alphabet=HAN, min_size=1, max_size=30)
punct = st.sampled_from([*"，。、；：？！“”（）,.;:?!()…—《》", "(bào)", "(zhè)", "<", "&", "]]>"])
junk = st.text(alphabet=JUNK, min_size=1, max_size=3)
piece = st.one_of(run, run, run, punct, junk, st.sampled_from(["abc", "GDP", "3.6万", "1+N", " "]))
line = st.lists(piece, min_size=1, max_size=12).map("".join)
document_line = st.one_of(line, line, line, st.sampled_from(CHROME), st.just(""))
document = st.lists(document_line, min_size=1, max_size=25).flatmap(
    lambda lines: st.sampled_from(["\n", "\r\n", "\r"]).map(lambda end: end.join(lines)))


def _facts(metadata: Metadata) -> Metadata:
    return replace(metadata, source_script=None, field_sources=())


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document)
# A names line above a paragraph wrapped before its "。": a byline on both passes.
@example("业业业业业业业业\n王静 刘廷\n业业业业业\n。业业业业业业业业业业业业业业业")
# A "?" alone below a blank line ends no line above: not restored as a paragraph "?".
@example("业\n业\n\n?\n业")
def test_scraped_like_text_never_crashes_and_yields_valid_tei(text: str) -> None:
    note(repr(text))
    try:
        articles = normalize_bytes(text.encode("utf-8"), "fuzz.txt", Options())
    except InputError:
        return  # empty, binary-looking or nothing but chrome: a clear refusal is fine
    for article in articles:
        data = write_tei(article, Options())
        assert validate_tei(data) == [], data.decode()[:2000]
        # Normalising the normalised article again changes nothing.
        (again,) = normalize(article, Options())
        assert again.blocks == article.blocks
        # (the source script of the second pass is, rightly, the target script)
        assert _facts(again.metadata) == _facts(article.metadata)
