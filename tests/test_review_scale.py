"""The review at scale and with hostile file names: memory does not grow with the batch (a
generous ratio of traced peaks, no timing), names with markup and quotes stay text, and every
link of every index page opens a written file."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from lxml import html as lxml_html

from newsarchive.review import pages_dir, write_review

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))


def _peak(inputs: list[str], index: Path) -> int:
    tracemalloc.start()
    try:
        write_review(inputs, index, jobs=1)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_flat(tmp_path: Path) -> None:
    """Eight times the inputs, not eight times the peak: pages are written as they are made
    and the index keeps a small entry per article (a review holding its pages would grow
    ~8x here)."""
    few = [str(s) for s in SEEDS] * 2
    write_review(few, tmp_path / "warm" / "review.html", jobs=1)  # caches, templates
    small = _peak(few, tmp_path / "small" / "review.html")
    large = _peak(few * 8, tmp_path / "large" / "review.html")
    assert large < 2.5 * small, (small, large)
    assert len(list(pages_dir(tmp_path / "large" / "review.html").glob("0*.html"))) == 80


@pytest.mark.parametrize("name", ["<script>a&b\"c'd<i>", "x&amp;y&lt;script&gt;'"])
def test_hostile_file_names(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file name with markup, entities and quotes is shown as it is, becomes no element or
    attribute, and its page's link lands (across index pages)."""
    from newsarchive import review

    monkeypatch.setattr(review, "INDEX_ENTRIES", 2)
    folder = tmp_path / "in"
    folder.mkdir()
    inputs = []
    for n, seed in enumerate(SEEDS[:3]):
        target = folder / f"{name}{n}.txt"
        target.write_bytes(seed.read_bytes())
        inputs.append(str(target))
    index = tmp_path / "out" / "review.html"
    write_review(inputs, index, jobs=1)
    docs = [index, *sorted(pages_dir(index).glob("*.html"))]
    shown = 0
    for doc in docs:
        dom = lxml_html.fromstring(doc.read_bytes())
        assert not dom.xpath("//script|//i|//*[@d]|//*[@b]"), doc.name
        shown += int(doc.name.startswith("0") and f"{name}0.txt" in dom.text_content())
        for href in dom.xpath("//a/@href"):
            page, _, fragment = href.partition("#")
            target = (doc.parent / page).resolve() if page else doc.resolve()
            assert target.is_file(), (doc.name, href)
            if fragment:
                found = lxml_html.fromstring(target.read_bytes()).xpath(f'//*[@id="{fragment}"]')
                assert found, (doc.name, href)
    assert shown == 1  # the first input's page names its file verbatim
    listed = [d for d in docs if d == index or d.name.startswith("index-")]
    assert any(
        f"{name}0.txt" in lxml_html.fromstring(d.read_bytes()).text_content() for d in listed
    )
