"""Hostile HTML: one clear line each, no crash, nothing fetched (pages written for the tests)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from newsarchive.errors import InputError
from newsarchive.options import Options
from newsarchive.pipeline import normalize_bytes, normalize_file

P = "本报讯 记者从市交通局获悉，今年全市将新建公交线路十二条，优化调整线路三十条，方便市民出行。"
Q = "据介绍，新线路将重点覆盖新建住宅小区和产业园区，高峰时段发车间隔不超过十分钟。"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the reader tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def convert(html: str, name: str = "page.html") -> list:
    return normalize_bytes(html.encode("utf-8"), name, Options())


def one_line(exc: pytest.ExceptionInfo[InputError]) -> str:
    message = str(exc.value)
    assert "\n" not in message and message.startswith("page.html: ")
    return message


def test_scripts_styles_and_javascript_links_leave_no_trace() -> None:
    html = f"""<html><head><title>公交线路调整_示例网</title>
    <script src="http://evil.example/x.js"></script><style>body{{x:1}}</style></head><body>
    <script>document.write("脚本插入的广告"); fetch("http://evil.example/")</script>
    <p>{P}</p><p><a href="javascript:alert('x')">点此领取红包</a></p><p>{Q}</p>
    <noscript>请开启脚本</noscript><iframe src="http://evil.example/ad.html">框架内容</iframe>
    </body></html>"""
    [article] = convert(html)
    text = article.plain_text()
    assert "方便市民出行" in text and "发车间隔" in text
    for junk in (
        "脚本插入的广告",
        "fetch",
        "javascript",
        "alert",
        "body{",
        "请开启脚本",
        "框架内容",
    ):
        assert junk not in text


def test_only_a_frameset() -> None:
    html = """<html><head><title>t</title></head><frameset cols="50%,50%">
    <frame src="http://evil.example/a.html"><frame src="b.html"></frameset></html>"""
    with pytest.raises(InputError) as exc:
        convert(html)
    assert "frameset" in one_line(exc)


def test_only_an_image() -> None:
    html = '<html><head><title>t</title></head><body><img src="http://evil.example/p.jpg"></body></html>'
    with pytest.raises(InputError) as exc:
        convert(html)
    assert "only images" in one_line(exc)


def test_only_an_iframe() -> None:
    html = '<html><body><iframe src="http://evil.example/article.html"></iframe></body></html>'
    with pytest.raises(InputError) as exc:
        convert(html)
    assert "frame" in one_line(exc)


def test_deeply_nested_markup() -> None:
    html = "<html><body>" + "<div><span>" * 20000 + f"<p>{P}</p><p>{Q}</p></body></html>"
    with pytest.raises(InputError) as exc:
        convert(html)
    assert "nested too deeply" in one_line(exc)


def test_moderately_nested_markup_is_read() -> None:
    html = (
        "<html><body>" + "<div>" * 100 + f"<p>{P}</p><p>{Q}</p>" + "</div>" * 100 + "</body></html>"
    )
    [article] = convert(html)
    assert "发车间隔" in article.plain_text()


def test_a_50_mb_page_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.html"
    with path.open("wb") as out:
        out.write(b"<html><body>")
        chunk = f"<p>{P}</p>\n".encode() * 1000
        while out.tell() < 50 * 1024 * 1024:
            out.write(chunk)
        out.write(b"</body></html>")
    with pytest.raises(InputError, match="too large") as exc:
        normalize_file(path)
    assert "\n" not in str(exc.value)


def test_binary_bytes_named_html() -> None:
    with pytest.raises(InputError) as exc:
        normalize_bytes(b"\x00\x01\x02\x03<html>" * 10, "page.html", Options())
    assert "binary" in one_line(exc)


def test_empty_and_markup_only() -> None:
    for html in ("", "   ", "<html><head></head><body><div></div></body></html>"):
        with pytest.raises(InputError) as exc:
            convert(html)
        one_line(exc)
