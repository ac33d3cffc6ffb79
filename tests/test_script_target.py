"""Rules run on Simplified text whatever the target script; the target is reached at the end."""

from __future__ import annotations

from pathlib import Path

from newsarchive.options import Options
from newsarchive.pipeline import normalize_bytes, normalize_file

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
BODY_HANT = (
    "這裡的居民於今年春天開始參與社區議事會，共同討論公園綠地的規劃與管理辦法。"
    "議事會每月召開一次，居民代表在會上發言，提出了許多具體的改善建議。"
)


def _texts(article) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(b.text for b in article.blocks if b.text)


def test_traditional_target_strips_the_same_chrome_and_keeps_the_same_facts() -> None:
    seed = next(SEEDS.glob("001_*.txt"))
    (hans,) = normalize_file(seed, Options(script="hans"))
    (hant,) = normalize_file(seed, Options(script="hant"))
    body = _texts(hant)
    for chrome in ("重慶日報 | 重慶科技報", "放大 縮小", "版權所有", "上一篇"):
        assert chrome not in body
    assert hant.metadata.language == "zh-Hant"
    assert hant.metadata.date == hans.metadata.date
    assert hant.metadata.newspaper and "重慶日報" in hant.metadata.newspaper
    assert len([b for b in hant.blocks if b.text]) == len([b for b in hans.blocks if b.text])


def test_a_traditional_source_keeps_its_own_characters() -> None:
    # 裡 and 於 as the source prints them (OpenCC s2t alone would give 裏 and 於/于 by phrase).
    source = f"社區議事會\n\n{BODY_HANT}\n\n{BODY_HANT.replace('這裡', '那裡')}\n".encode()
    (article,) = normalize_bytes(source, "a.txt", Options(script="hant"))
    assert _texts(article).split("\n")[0] == BODY_HANT
    assert article.metadata.source_script == "zh-Hant"
    assert any(e.rule == "opencc.t2s" for e in article.provenance)  # the working text
    assert any(e.rule == "opencc.s2t" for e in article.provenance)  # back to the target


def test_a_simplified_source_is_converted_once_for_a_traditional_target() -> None:
    body = "这里的居民于今年春天开始参与社区议事会，共同讨论公园绿地的规划与管理办法。" * 2
    (article,) = normalize_bytes(f"社区议事会\n\n{body}\n".encode(), "a.txt",
                                 Options(script="hant"))
    assert "居民於今年" in _texts(article)
    assert article.metadata.title == "社區議事會"
    assert not any(e.rule == "opencc.t2s" and e.action == "convert" for e in article.provenance)
