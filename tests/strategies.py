"""Hypothesis strategies shared by the normaliser's property tests."""

from __future__ import annotations

from hypothesis import strategies as st

# Real-looking sentences: mostly Han, with commas, quotes and short numbers set into them
# (pages made of digit runs with one Han character each are not prose; see issue 10's note).
_INSERT = st.tuples(st.integers(0, 200), st.one_of(
    st.sampled_from("，、“”"), st.text(alphabet="0123456789", min_size=1, max_size=4)))


def _sentence(han: str, inserts: list[tuple[int, str]], end: str) -> str:
    for at, token in sorted(inserts, reverse=True):
        at %= len(han) + 1
        han = han[:at] + token + han[at:]
    return han + end


def sentences(alphabet: str, min_han: int, max_han: int) -> st.SearchStrategy[str]:
    return st.builds(_sentence, st.text(alphabet=alphabet, min_size=min_han, max_size=max_han),
                     st.lists(_INSERT, max_size=6), st.sampled_from("。！？"))
