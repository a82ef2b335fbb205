"""A position's Markdown to sanitised HTML: the one renderer, run when the text is saved.

markdown-it-py follows CommonMark, whose parsing is linear in the input for
every input, so no text of the allowed length can hold a worker for long (with
Python-Markdown, 20,000 ``[`` took about a minute). Raw HTML in the text stays
text (``html=False``); nh3 then reduces what Markdown made to an allow-list.
The result is stored beside the text and shown as it is, never rendered again
at read time.
"""

import nh3
from markdown_it import MarkdownIt

# What a position's Markdown may become: paragraphs, lists, emphasis, quotes, code and links.
ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "em", "strong", "a", "blockquote", "code", "pre", "h3", "h4", "hr"}

_PARSER = MarkdownIt("commonmark", {"html": False})


def render(text):
    """The sanitised HTML of ``text``: no scripts, no handlers, no javascript: links. A plain str."""
    return nh3.clean(
        _PARSER.render(text or ""),
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
