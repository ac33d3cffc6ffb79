"""The segment step loses nothing silently: every character of the body lines ends up in a
block, in the metadata or in an edit whose rule says why it went (joins drop only the line
break and the indentation)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsarchive.accounting import unaccounted
from newsarchive.model import Article, Block, Metadata
from newsarchive.normalize.segment import segment

HAN = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后"
piece = st.text(alphabet=HAN + "，、“”0123456789", min_size=1, max_size=45)
line = st.one_of(
    piece,
    st.builds(lambda t, e: t + e, piece, st.sampled_from("。！？")),
    st.builds(lambda m, t: m + t, st.sampled_from(["▲", "图①：", "图为", "■", "　　"]), piece),
    st.builds(lambda t: t + "摄", st.text(alphabet=HAN + " ", min_size=2, max_size=8)),
    st.sampled_from(["。", "，", "图片说明：", "本报讯", "《春夜喜雨》", "专家", "意见", ""]),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(line, min_size=1, max_size=30))
def test_segment_accounts_for_every_character(lines: list[str]) -> None:
    blocks = tuple(Block("line", ln.strip(" 　"), (i,)) for i, ln in enumerate(lines, start=1))
    article = Article(Metadata(), blocks, source_text="\n".join(lines))
    result = segment(article)
    assert not unaccounted([result])
    # joins and lifts only move text: every block character comes from the source
    source = set("".join(lines))
    for block in result.blocks:
        assert set(block.text) - {" "} <= source  # a space may join two heading lines
