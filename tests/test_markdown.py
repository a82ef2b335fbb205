"""A position's Markdown: rendered in linear time, sanitised, stored once when saved and never rendered on a page.

Python-Markdown needed about 80 s for 20,000 ``[``: one shared position could
hold every worker serving the meeting. The bound below is generous (the
texts take a few tenths of a second at most); it is a denial-of-service guard,
the one kind of timing assertion the suite allows.
"""

import importlib
import re
import sys
import time

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from coordination import markdown
from coordination.forms import PositionForm
from coordination.models import Position
from coordination.services import agenda

LONGEST = Position._meta.get_field("text").max_length


def repeated(piece):
    return (piece * LONGEST)[:LONGEST]


PATHOLOGICAL = {
    "open brackets": repeated("["),
    "unclosed images": repeated("![a"),
    "unclosed links": repeated("[]("),
    "link with open destination": repeated("[a]("),
    "alternating emphasis": repeated("*_"),
    "emphasis runs": repeated("**a"),
    "underscore and star runs": repeated("_a*"),
    "backticks": repeated("`"),
    "backtick runs of growing length": "".join("`" * n + "a" for n in range(1, 200))[:LONGEST],
    "html-like text": repeated("<a "),
    "html comments": repeated("<!--"),
    "autolinks": repeated("<http:"),
    "nested quotes": repeated(">"),
    "nested quotes with spaces": repeated("> "),
    "nested lists": "".join("  " * depth + "- a\n" for depth in range(150))[:LONGEST],
    "list markers": repeated("- "),
    "numbered list markers": repeated("1. "),
    "link reference definitions": repeated("[a]: "),
    "entities": repeated("&#"),
    "backslashes": repeated("\\"),
    "hard breaks": repeated("a  \n"),
}


def untraced_render(text):
    """The render and the processor seconds it took, without a tracer.

    CI measures coverage, whose tracer makes this pure-Python parser about ten times slower, and other
    processes on a loaded machine stretch the wall clock (1.3 s seen at a load of 4.4 on two cores); the
    guard is about the renderer, so it counts this thread's own CPU time.
    """
    tracer = sys.gettrace()
    sys.settrace(None)
    try:
        start = time.thread_time()
        html = markdown.render(text)
        return html, time.thread_time() - start
    finally:
        sys.settrace(tracer)


@pytest.mark.parametrize("text", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_a_pathological_text_of_the_longest_allowed_length_renders_well_under_a_second(text):
    assert len(text) == LONGEST
    html, elapsed = untraced_render(text)

    assert elapsed < 1.0, elapsed
    assert "<script" not in html.lower()
    assert not re.search(r"<[a-z][^>]*(\son\w+=|javascript:)", html.lower())


HOSTILE = """<script>alert(1)</script>

<img src=x onerror=alert(1)>

[x](javascript:alert(1)) [y](JaVaScRiPt:alert(2)) [z](java&#115;cript:alert(3)) ![i](javascript:alert(4))

<a href="javascript:alert(5)" onclick="alert(6)">a</a>

# Rubrik
"""


def test_html_in_the_text_stays_text_and_no_link_can_run_script():
    html = markdown.render(HOSTILE)

    tags = re.findall(r"<[a-z][^>]*>", html.lower())
    assert not [tag for tag in tags if tag.startswith(("<script", "<img", "<h1"))]
    assert not [tag for tag in tags if re.search(r"\son\w+=|javascript:", tag)]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_lists_emphasis_quotes_code_and_links_are_kept():
    html = markdown.render("- *en* **två**\n\n> citat\n\n`kod`\n\n[polisen](https://polisen.se)")

    assert "<li><em>en</em> <strong>två</strong></li>" in html
    assert "<blockquote>" in html and "<code>kod</code>" in html
    assert re.search(r'<a href="https://polisen.se" rel="noopener noreferrer nofollow">polisen</a>', html)


def test_a_position_one_character_too_long_is_a_form_error_saying_the_limit():
    form = PositionForm(data={"text": "a" * (LONGEST + 1), "base_version": "0"})

    assert not form.is_valid()
    assert "20000" in form.errors["text"][0]


def test_a_saved_position_keeps_its_html_and_a_new_version_replaces_it(meeting, polisen, polis_member):
    item = agenda.propose_agenda_item(meeting=meeting, party=polisen, by=polis_member, title="Kameror")

    position = agenda.save_position(item=item, party=polisen, by=polis_member, text="*först*", base_version=0)
    assert Position.objects.get(pk=position.pk).html == "<p><em>först</em></p>\n"

    agenda.save_position(item=item, party=polisen, by=polis_member, text="**sedan**", base_version=1)
    assert Position.objects.get(pk=position.pk).html == "<p><strong>sedan</strong></p>\n"


@pytest.mark.parametrize("page", ["meeting_detail", "agenda_item_detail", "kallelse"])
def test_a_page_with_a_shared_pathological_position_answers_without_rendering_markdown(
    client, monkeypatch, meeting, kommun, kommun_coordinator, kommun_member, polisen, polis_member, page
):
    item = agenda.propose_agenda_item(meeting=meeting, party=polisen, by=polis_member, title="Kameror")
    agenda.accept_agenda_item(item=item, party=kommun, by=kommun_coordinator)
    text = PATHOLOGICAL["open brackets"][:-20] + "\n\n**delad ståndpunkt**"
    position = agenda.save_position(item=item, party=polisen, by=polis_member, text=text, base_version=0)
    agenda.set_position_shared(position=position, by=polis_member, shared=True)

    def no_rendering(text):
        raise AssertionError("Markdown rendered while a page was read")

    monkeypatch.setattr(markdown, "render", no_rendering)
    monkeypatch.setattr(markdown._PARSER, "render", no_rendering)
    client.force_login(kommun_member)
    args = [meeting.pk, item.pk] if page == "agenda_item_detail" else [meeting.pk]
    start = time.perf_counter()
    response = client.get(reverse(page, args=args))
    elapsed = time.perf_counter() - start

    assert response.status_code == 200
    assert "<strong>delad ståndpunkt</strong>" in response.content.decode()
    assert elapsed < 5.0, elapsed


def test_the_migration_renders_the_positions_saved_before_html_was_stored(meeting, polisen, polis_member):
    item = agenda.propose_agenda_item(meeting=meeting, party=polisen, by=polis_member, title="Kameror")
    Position.objects.create(agenda_item=item, party=polisen, text="- *tidigare*", updated_by=polis_member)
    migration = importlib.import_module("coordination.migrations.0007_position_html")

    migration.render_existing(django_apps, schema_editor=None)

    assert Position.objects.get().html == "<ul>\n<li><em>tidigare</em></li>\n</ul>\n"
