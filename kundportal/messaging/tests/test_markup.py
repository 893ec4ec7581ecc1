"""Messages are Markdown rendered to an allow-list of harmless HTML."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kundportal.messaging.markup import ALLOWED_SCHEMES, ALLOWED_TAGS, render_markdown


def test_it_renders_safe_formatting():
    html = render_markdown("*em* **strong** `code`\n\n- one\n- two\n\n> quote\n\n[link](https://example.com)")
    assert "<em>em</em>" in html and "<strong>strong</strong>" in html and "<code>code</code>" in html
    assert "<ul>" in html and "<blockquote>" in html
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">link</a>' in html


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="https://example.com" onclick="alert(1)">x</a>',
        "<iframe src=https://example.com></iframe>",
        "<style>body{}</style>",
    ],
)
def test_raw_html_is_shown_as_text(text):
    html = render_markdown(text)
    assert "<script" not in html and "<img" not in html and "<iframe" not in html and "<style" not in html
    assert "&lt;" in html


@pytest.mark.parametrize(
    "text",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](&#x6A;avascript:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](vbscript:msgbox(1))",
        "<javascript:alert(1)>",
        "[x][r]\n\n[r]: javascript:alert(1)",
    ],
)
def test_dangerous_links_are_no_links(text):
    html = render_markdown(text).lower()
    assert "href" not in html


def test_image_syntax_makes_no_image():
    html = render_markdown("![cat](https://example.com/cat.png)")
    assert "<img" not in html


def test_only_allowed_schemes_link():
    assert 'href="mailto:a@example.com"' in render_markdown("[mail](mailto:a@example.com)")
    assert "href" not in render_markdown("[ftp](ftp://example.com/file)")


@given(st.text(alphabet=st.sampled_from(list("<>[]()!:/=\"'&#;*`_- \njavscriptdhefmlo1xa")), max_size=120))
@settings(max_examples=300, deadline=None)
def test_nothing_but_the_allowed_tags_and_schemes_come_out_of_any_text(text):
    html = render_markdown(text)
    assert {tag.lower() for tag in re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", html)} <= ALLOWED_TAGS
    for href in re.findall(r'href="([^"]*)"', html):
        assert href.split(":", 1)[0].lower() in ALLOWED_SCHEMES or ":" not in href.split("/", 1)[0]
