"""Segment rule families on invented lines: wrapped pages, captions, headings, labels."""

from __future__ import annotations

from newsarchive.model import Article, Block, Metadata
from newsarchive.normalize.segment import segment

SENT = "市民在社区广场参加志愿服务活动，现场气氛热烈，大家纷纷表示受益匪浅"


def _article(lines: list[str]) -> Article:
    blocks = tuple(Block("line", ln.strip(), (i,)) for i, ln in enumerate(lines, start=1))
    return Article(Metadata(), blocks, source_text="\n".join(lines))


def _kinds(article: Article) -> list[tuple[str, str]]:
    return [(b.kind, b.text) for b in segment(article).blocks if b.text]


def test_wrapped_page_joins_a_wrap_after_a_full_stop_and_keeps_indented_starts() -> None:
    para1 = "　　" + (SENT + "。") * 8
    para2 = "　　" + SENT + "，" + SENT + "。" + SENT + "。"
    lines: list[str] = []
    for para in (para1, para2):
        rest = para
        first = True
        while rest:
            size = 40 if first else 38  # 80 columns; the indent takes two characters
            head, rest = rest[:size] if first else rest[:38], rest[size if first else 38:]
            lines.append(head)
            first = False
    paragraphs = [t for k, t in _kinds(_article(lines)) if k == "paragraph"]
    assert len(paragraphs) == 2
    assert paragraphs[0] == para1.replace("　", "")


def test_a_line_opening_with_a_comma_continues() -> None:
    kinds = _kinds(_article([SENT + "。", "，这是上一句的后半部分内容，记者了解到情况属实。"]))
    assert kinds == [("paragraph", SENT + "。，这是上一句的后半部分内容，记者了解到情况属实。")]


def test_caption_marks_and_a_caption_block_with_photographer_lines() -> None:
    lines = [SENT + "。", "", "图片说明：", "图①：市民在公园赏花。", "本报记者 王 五摄",
             "图②：孩子们在广场放风筝。", "李四摄（新华社发）"]
    blocks = [b for b in segment(_article(lines)).blocks if b.text or b.credit]
    assert [(b.kind, b.text, b.credit) for b in blocks] == [
        ("paragraph", SENT + "。", None),
        ("figure", "图①：市民在公园赏花。", "本报记者 王 五"),
        ("figure", "图②：孩子们在广场放风筝。", "李四（新华社发）"),
    ]


def test_arrow_caption_is_a_figure_but_a_body_sentence_with_photo_words_is_not() -> None:
    kinds = _kinds(_article(["▲志愿者向市民讲解防火知识。", "", SENT + "，并参观了图片展览。"]))
    assert kinds[0] == ("figure", "▲志愿者向市民讲解防火知识。")
    assert kinds[1][0] == "paragraph"


def test_book_title_heading_keeps_its_closing_mark() -> None:
    kinds = _kinds(_article([SENT + "。", "", "《春夜喜雨》", "", "好雨知时节，当春乃发生。"]))
    assert ("heading", "《春夜喜雨》") in kinds


def test_stacked_sidebar_label_is_lifted_out_of_the_sentence() -> None:
    kinds = _kinds(_article([SENT + "，而且", "", "专家", "点评", "", "还将继续开展下去。"]))
    assert kinds[0] == ("paragraph", SENT + "，而且还将继续开展下去。")
    assert ("label", "专家") in kinds and ("label", "点评") in kinds


def test_dateline_alone_opens_its_paragraph() -> None:
    kinds = _kinds(_article(["本报讯", SENT + "。"]))
    assert kinds == [("paragraph", "本报讯" + SENT + "。")]


def test_punctuation_only_line_restored_from_an_earlier_removal() -> None:
    from newsarchive.model import Edit
    article = _article([SENT + "，记者了解到", "。", "", SENT + "。"])
    blocks = (article.blocks[0], article.blocks[2], article.blocks[3])  # "。" taken away
    article = Article(Metadata(), blocks,
                      (Edit("chrome", "decoration", "remove", "。", "", 2),),
                      article.source_text)
    kinds = _kinds(article)
    assert kinds[0] == ("paragraph", SENT + "，记者了解到。")


def test_the_narrow_opening_rule_segment_and_title_share() -> None:
    # One rule (segment.toml narrow_run) for both steps: enough lines of one width, and the
    # line below wider than all of them by more than the slack.
    from newsarchive.normalize._lines import in_narrow_run, narrow_run, narrow_run_rule

    least, slack = narrow_run_rule()["min_lines"], 4
    run = [20, 22, 19][:least] + [21] * max(0, least - 3)
    assert narrow_run(run, max(run) + slack + 1, slack)
    assert not narrow_run(run, max(run) + slack, slack)  # not wider by more than the slack
    assert not narrow_run(run[: least - 1], 40, slack)  # too few lines: a stacked headline
    assert not narrow_run([*run, min(run) + slack + 1], 60, slack)  # not one width
    assert in_narrow_run(24, 20, slack) and in_narrow_run(16, 20, slack)
    assert not in_narrow_run(25, 20, slack)
