"""Messages are Markdown: rendered once, when written, to HTML that holds nothing but safe text formatting.

Two layers, because either alone has failed somewhere before: markdown-it-py with raw HTML and images turned
off produces only the tags its rules make, and nh3 (ammonia) then keeps only an allow-list of tags, attributes
and URL schemes, whatever the renderer let through. Link text that looks like a URL stays text (no linkify):
a link is something the author wrote as one.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "br", "a", "ul", "ol", "li", "em", "strong", "code", "pre", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).disable("image")


def render_markdown(text: str) -> str:
    """The cleaned HTML of a Markdown text: paragraphs, line breaks, links (http, https, mailto), lists,
    emphasis, code and quotes. Everything else is shown as the text it is, or dropped."""
    html = _renderer.render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()
