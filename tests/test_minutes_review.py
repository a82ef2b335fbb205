"""Review (justering) of the minutes, and the approved minutes (issue 17, section 3)."""

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from coordination import rules
from coordination.models import Event, Minutes, MinutesApproval, MinutesVersion, OutboxMessage, ReviewComment
from coordination.services import minutes as writing
from coordination.services import review
from coordination.services.base import RuleError

from .builders import pdf_module

pytestmark = pytest.mark.django_db

Kind = OutboxMessage.Kind


def access(user, meeting):
    return rules.MeetingAccess.for_user(user, meeting)


def current(meeting):
    return Minutes.objects.get(meeting=meeting)


def approve_all(meeting, reviewers, version=1):
    """Each (party, user) approves ``version``."""
    for party, user in reviewers:
        review.approve(meeting=meeting, party=party, by=user, version=version)


@pytest.fixture
def reviewers(kommun, lansstyrelsen, polisen, kommun_coordinator, lansstyrelsen_coordinator, polis_coordinator):
    """Each party's coordinators review for it while it has named no one."""
    return [(kommun, kommun_coordinator), (lansstyrelsen, lansstyrelsen_coordinator), (polisen, polis_coordinator)]


# Who reviews.


def test_until_a_party_names_a_reviewer_its_coordinators_review_for_it_and_only_for_it(
    under_review, kommun, polisen, polis_coordinator, polis_member, kommun_coordinator
):
    minutes = current(under_review)
    assert rules.can_approve_minutes_for(access(polis_coordinator, under_review), minutes, polisen.pk)
    assert not rules.can_approve_minutes_for(access(polis_coordinator, under_review), minutes, kommun.pk)
    assert not rules.can_approve_minutes_for(access(polis_member, under_review), minutes, polisen.pk)
    assert not rules.can_approve_minutes_for(access(kommun_coordinator, under_review), minutes, polisen.pk)


def test_a_named_reviewer_reviews_for_their_party_and_its_coordinators_no_longer_do(
    under_review, polisen, polis_coordinator, polis_member
):
    review.name_reviewer(meeting=under_review, party=polisen, by=polis_coordinator, user=polis_member)
    minutes = current(under_review)
    assert rules.can_approve_minutes_for(access(polis_member, under_review), minutes, polisen.pk)
    assert rules.can_comment_on_minutes_for(access(polis_member, under_review), minutes, polisen.pk)
    assert not rules.can_approve_minutes_for(access(polis_coordinator, under_review), minutes, polisen.pk)


def test_a_reviewer_is_one_of_the_party_s_own_people(held, polisen, polis_coordinator, kommun_coordinator):
    with pytest.raises(RuleError):
        review.name_reviewer(meeting=held, party=polisen, by=polis_coordinator, user=kommun_coordinator)


def test_a_reviewer_who_leaves_the_party_hands_the_review_back_to_its_coordinators(
    under_review, polisen, polis_coordinator, polis_member
):
    review.name_reviewer(meeting=under_review, party=polisen, by=polis_coordinator, user=polis_member)
    polis_member.memberships.all().delete()
    minutes = current(under_review)
    assert rules.can_approve_minutes_for(access(polis_coordinator, under_review), minutes, polisen.pk)


def test_only_a_party_s_coordinators_name_its_reviewer(
    held, kommun, polisen, polis_coordinator, polis_member, kommun_coordinator, lansstyrelsen_secretary
):
    assert rules.can_name_reviewer_for(access(polis_coordinator, held), None, polisen.pk)
    assert not rules.can_name_reviewer_for(access(polis_member, held), None, polisen.pk)
    assert not rules.can_name_reviewer_for(access(kommun_coordinator, held), None, polisen.pk)
    assert rules.can_name_reviewer_for(access(kommun_coordinator, held), None, kommun.pk)
    assert not rules.reviewer_party_ids(access(lansstyrelsen_secretary, held), None)


# Sending, approving, commenting, taking back.


def test_sending_keeps_a_version_freezes_the_minutes_and_mails_each_party_s_reviewers(
    written, lansstyrelsen, polisen, lansstyrelsen_secretary, polis_coordinator, polis_member, kommun_coordinator
):
    review.name_reviewer(meeting=written, party=polisen, by=polis_coordinator, user=polis_member)
    version = review.send_for_review(meeting=written, party=lansstyrelsen, by=lansstyrelsen_secretary)

    minutes = current(written)
    assert (minutes.state, minutes.version, version.number) == (Minutes.State.UNDER_REVIEW, 1, 1)
    [item] = [item for item in version.content["items"] if item["text"]]
    assert item["agreements"] == [{"text": "Gemensam lägesbild", "parties": ["Länsstyrelsen", "Polisen", "Kommunen"]}]
    assert item["actions"][0]["what"] == "Utse kontaktperson för NOA"
    assert version.content["presence"] == [{"name": "Rikspolischef", "party": "Polisen", "present": True}]
    asked = set(OutboxMessage.objects.filter(kind=Kind.MINUTES_REVIEW).values_list("recipient", flat=True))
    # The police's named reviewer, and the coordinators of the two parties that named no one.
    assert polis_member.email in asked and kommun_coordinator.email in asked
    assert polis_coordinator.email not in asked
    with pytest.raises(RuleError):
        writing.save_entry(
            meeting=written,
            item=written.items[0],
            party=lansstyrelsen,
            by=lansstyrelsen_secretary,
            text="Ny",
            base_version=1,
        )
    # A second click sends nothing more.
    review.send_for_review(meeting=written, party=lansstyrelsen, by=lansstyrelsen_secretary)
    assert MinutesVersion.objects.count() == 1
    assert Event.objects.filter(action=Event.Action.MINUTES_SENT_FOR_REVIEW).count() == 1


def test_when_every_party_has_approved_the_minutes_are_locked_and_mailed_to_the_attendees(
    under_review, reviewers, lansstyrelsen, lansstyrelsen_secretary
):
    approve_all(under_review, reviewers[:2])
    assert current(under_review).is_under_review
    approve_all(under_review, reviewers[2:])

    minutes = current(under_review)
    assert minutes.is_approved and minutes.approved_at is not None
    [sent] = OutboxMessage.objects.filter(kind=Kind.MINUTES_APPROVED)
    assert sent.recipient == "rikspolischef@polisen.example"
    assert f"/meetings/{under_review.pk}/minutes/pdf/" in sent.text
    assert Event.objects.filter(action=Event.Action.MINUTES_LOCKED).count() == 1
    with pytest.raises(RuleError):
        writing.add_agreement(
            meeting=under_review,
            item=under_review.items[0],
            party=lansstyrelsen,
            by=lansstyrelsen_secretary,
            text="Efteråt",
            parties=[lansstyrelsen],
        )


def test_a_party_approving_twice_is_recorded_once(under_review, polisen, polis_coordinator):
    for _ in range(2):
        review.approve(meeting=under_review, party=polisen, by=polis_coordinator, version=1)
    assert MinutesApproval.objects.count() == 1
    assert Event.objects.filter(action=Event.Action.MINUTES_APPROVED).count() == 1


def test_approvals_of_a_version_taken_back_do_not_carry_to_the_next(
    under_review, reviewers, lansstyrelsen, polisen, lansstyrelsen_secretary, polis_coordinator
):
    approve_all(under_review, reviewers[:2])
    review.comment(
        meeting=under_review,
        item=under_review.items[0],
        party=polisen,
        by=polis_coordinator,
        text="Skriv NOA i klartext",
        version=1,
    )
    review.take_back(meeting=under_review, party=lansstyrelsen, by=lansstyrelsen_secretary, version=1)
    minutes = current(under_review)
    assert (minutes.state, minutes.version) == (Minutes.State.DRAFT, 2)
    writing.save_entry(
        meeting=under_review,
        item=under_review.items[0],
        party=lansstyrelsen,
        by=lansstyrelsen_secretary,
        text="Polisen redogjorde för stödet från Nationella operativa avdelningen.",
        base_version=1,
    )
    # An approval of version 1 from a page left open is refused: that version is not under review.
    with pytest.raises(RuleError):
        review.approve(meeting=under_review, party=polisen, by=polis_coordinator, version=1)
    second = review.send_for_review(meeting=under_review, party=lansstyrelsen, by=lansstyrelsen_secretary)

    assert second.number == 2 and not second.approvals.exists()
    with pytest.raises(RuleError):
        review.approve(meeting=under_review, party=polisen, by=polis_coordinator, version=1)
    approve_all(under_review, reviewers[:2], version=2)
    assert current(under_review).is_under_review
    approve_all(under_review, reviewers[2:], version=2)
    assert current(under_review).is_approved
    assert MinutesVersion.objects.get(number=1).approvals.count() == 2


def test_the_events_of_review_say_what_happened_but_never_what_the_minutes_or_a_comment_say(
    under_review, polisen, polis_coordinator
):
    review.comment(
        meeting=under_review,
        item=under_review.items[0],
        party=polisen,
        by=polis_coordinator,
        text="Hemlig kommentar",
        version=1,
    )
    review_events = Event.objects.filter(
        action__in=[Event.Action.MINUTES_SENT_FOR_REVIEW, Event.Action.MINUTES_COMMENTED]
    )
    assert review_events.count() == 2 and not any(event.private for event in review_events)
    assert "Hemlig kommentar" not in str(list(review_events.values_list("subject", "before", "after")))
    # The writing events before approval stay the writing party's own.
    assert all(event.private for event in Event.objects.filter(action=Event.Action.AGREEMENT_ADDED))


def test_a_correction_is_numbered_and_logged_and_only_approved_minutes_take_one(
    under_review, reviewers, lansstyrelsen, lansstyrelsen_secretary
):
    with pytest.raises(RuleError):
        review.correct(
            meeting=under_review, party=lansstyrelsen, by=lansstyrelsen_secretary, item=None, text="För tidigt"
        )
    approve_all(under_review, reviewers)
    first = review.correct(
        meeting=under_review,
        party=lansstyrelsen,
        by=lansstyrelsen_secretary,
        item=under_review.items[0],
        text="Rätt datum",
    )
    second = review.correct(
        meeting=under_review, party=lansstyrelsen, by=lansstyrelsen_secretary, item=None, text="<b>x</b>"
    )
    assert (first.number, second.number) == (1, 2)
    assert "<b>" not in second.html
    event = Event.objects.filter(action=Event.Action.MINUTES_CORRECTED).first()
    assert event.after == {"number": 2, "text": "<b>x</b>"} and not event.private


# The pages, for every role: nothing before approval reaches anyone but the conveners, the minute-taker and the
# reviewers.

SECRET = "NOA:s"


@pytest.mark.parametrize(
    "role, draft, review_page, approved",
    [
        # The convening parties' coordinators and secretaries, who keep the record.
        ("kommun_coordinator", 200, 200, 200),
        ("lansstyrelsen_secretary", 200, 200, 200),
        # A member of a convening party, and of the invited party, who review nothing.
        ("kommun_member", 403, 403, 200),
        ("polis_member", 403, 403, 200),
        ("polis_secretary", 403, 403, 200),
        # The police's coordinator reviews for the police (no reviewer named).
        ("polis_coordinator", 403, 200, 200),
        ("outsider", 404, 404, 404),
    ],
)
def test_the_minutes_reach_each_role_only_when_they_may(
    client, request, written, reviewers, lansstyrelsen, lansstyrelsen_secretary, role, draft, review_page, approved
):
    client.force_login(request.getfixturevalue(role))
    url = reverse("minutes", args=[written.pk])

    def seen(expected):
        response = client.get(url)
        assert response.status_code == expected, role
        assert (SECRET in response.content.decode()) == (expected == 200)
        for page in ("meeting_detail", "event_log", "my_meetings"):
            args = [] if page == "my_meetings" else [written.pk]
            response = client.get(reverse(page, args=args))
            if response.status_code == 200 and expected != 200:
                assert SECRET not in response.content.decode()
                assert "Gemensam lägesbild" not in response.content.decode()

    seen(draft)
    review.send_for_review(meeting=written, party=lansstyrelsen, by=lansstyrelsen_secretary)
    seen(review_page)
    approve_all(written, reviewers)
    seen(approved)


def test_a_named_reviewer_of_the_invited_party_sees_the_version_under_review_and_their_colleagues_do_not(
    client, under_review, polisen, polis_coordinator, polis_member, polis_secretary
):
    review.name_reviewer(meeting=under_review, party=polisen, by=polis_coordinator, user=polis_member)
    url = reverse("minutes", args=[under_review.pk])
    client.force_login(polis_member)
    assert SECRET in client.get(url).content.decode()
    assert client.get(reverse("minutes_versions", args=[under_review.pk])).status_code == 200
    for colleague in (polis_coordinator, polis_secretary):
        client.force_login(colleague)
        assert client.get(url).status_code == 403
        assert client.get(reverse("minutes_versions", args=[under_review.pk])).status_code == 403


def test_the_versions_stay_with_those_who_wrote_and_reviewed_them_after_approval(
    client, under_review, reviewers, polis_coordinator, polis_member
):
    approve_all(under_review, reviewers)
    url = reverse("minutes_versions", args=[under_review.pk])
    client.force_login(polis_coordinator)
    assert client.get(url).status_code == 200
    client.force_login(polis_member)
    assert client.get(url).status_code == 403


def test_the_reviewer_approves_on_the_page_and_the_last_approval_locks_it(
    client, under_review, reviewers, kommun, lansstyrelsen, polisen, polis_coordinator
):
    approve_all(under_review, reviewers[:2])
    client.force_login(polis_coordinator)
    page = client.get(reverse("minutes", args=[under_review.pk])).content.decode()
    assert "Justera för Polisen" in page and "Justera för Kommunen" not in page
    response = client.post(reverse("minutes_approve", args=[under_review.pk, polisen.pk]), {"version": "1"})
    assert response.status_code == 302
    assert current(under_review).is_approved
    page = client.get(response.url).content.decode()
    assert "låst" in page and "Utskrift" in page


def test_another_party_s_approval_is_refused(client, under_review, kommun, polis_coordinator):
    client.force_login(polis_coordinator)
    response = client.post(reverse("minutes_approve", args=[under_review.pk, kommun.pk]), {"version": "1"})
    assert response.status_code == 403
    assert not MinutesApproval.objects.exists()


def test_a_comment_shows_with_its_item_for_the_minute_taker_to_revise(
    client, under_review, polisen, polis_coordinator, lansstyrelsen_secretary
):
    client.force_login(polis_coordinator)
    item = under_review.items[0]
    url = reverse("minutes_comment", args=[under_review.pk, item.pk, polisen.pk])
    assert client.post(url, {"text": "Skriv <b>NOA</b> i klartext", "version": "1"}).status_code == 302
    client.force_login(lansstyrelsen_secretary)
    client.post(reverse("minutes_take_back", args=[under_review.pk]), {"version": "1"})
    page = client.get(reverse("minutes", args=[under_review.pk])).content.decode()
    assert "Skriv &lt;b&gt;NOA&lt;/b&gt; i klartext" in page
    assert "Kommentarer på version 1" in page


def test_the_versions_page_shows_what_changed_as_a_position_s_versions_do(
    client, under_review, lansstyrelsen, lansstyrelsen_secretary
):
    review.take_back(meeting=under_review, party=lansstyrelsen, by=lansstyrelsen_secretary, version=1)
    writing.save_entry(
        meeting=under_review,
        item=under_review.items[0],
        party=lansstyrelsen,
        by=lansstyrelsen_secretary,
        text="Polisen redogjorde för stödet.",
        base_version=1,
    )
    review.send_for_review(meeting=under_review, party=lansstyrelsen, by=lansstyrelsen_secretary)
    client.force_login(lansstyrelsen_secretary)

    page = client.get(reverse("minutes_versions", args=[under_review.pk]), {"from": "1", "to": "2"}).content.decode()

    assert re.search(r'<del class="diff-line diff-removed">.*Polisen redogjorde för \*\*NOA:s\*\* stöd\.</del>', page)
    assert re.search(r'<ins class="diff-line diff-added">.*Polisen redogjorde för stödet\.</ins>', page)
    assert "oförändrad" in page  # the second item and who was present


def test_a_stale_approval_from_a_page_left_open_is_refused_with_a_message(
    client, under_review, lansstyrelsen, polisen, lansstyrelsen_secretary, polis_coordinator
):
    review.take_back(meeting=under_review, party=lansstyrelsen, by=lansstyrelsen_secretary, version=1)
    review.send_for_review(meeting=under_review, party=lansstyrelsen, by=lansstyrelsen_secretary)
    client.force_login(polis_coordinator)
    response = client.post(
        reverse("minutes_approve", args=[under_review.pk, polisen.pk]), {"version": "1"}, follow=True
    )
    assert "Version 2 av minnesanteckningarna har skickats för justering sedan" in response.content.decode()
    assert not MinutesApproval.objects.exists()


def test_the_police_name_their_reviewer_from_the_meeting_page(client, held, polisen, polis_coordinator, polis_member):
    client.force_login(polis_coordinator)
    page = client.get(reverse("meeting_detail", args=[held.pk])).content.decode()
    url = reverse("minutes_reviewer", args=[held.pk, polisen.pk])
    assert url in page
    response = client.post(url, {"reviewer": polis_member.memberships.get().pk})
    assert response.status_code == 302 and response.url.endswith("#minutes-review")
    assert current(held).reviewer_ids == {polisen.pk: polis_member.pk}


def test_a_correction_is_shown_on_the_approved_page_to_every_party(
    client, under_review, reviewers, lansstyrelsen_secretary, polis_member
):
    approve_all(under_review, reviewers)
    client.force_login(lansstyrelsen_secretary)
    item = under_review.items[0]
    data = {"agenda_item": item.pk, "text": "Datumet ska vara den 15 december."}
    assert client.post(reverse("minutes_correction", args=[under_review.pk]), data).status_code == 302
    client.force_login(polis_member)
    page = client.get(reverse("minutes", args=[under_review.pk])).content.decode()
    assert "Rättelse 1, om ”Stöd från NOA”" in page and "Datumet ska vara den 15 december." in page
    assert reverse("minutes_correction", args=[under_review.pk]) not in page


# The approved minutes as a document.


def test_the_printable_page_and_the_pdf_are_of_approved_minutes_only(client, under_review, reviewers, polis_member):
    client.force_login(polis_member)
    for name in ("minutes_print", "minutes_pdf"):
        assert client.get(reverse(name, args=[under_review.pk])).status_code == 403
    approve_all(under_review, reviewers)
    page = client.get(reverse("minutes_print", args=[under_review.pk])).content.decode()
    assert SECRET in page and "Justerat av" in page


def test_the_pdf_holds_the_approved_minutes_tagged_with_language_and_title(
    client, under_review, reviewers, lansstyrelsen_secretary, polis_member
):
    approve_all(under_review, reviewers)
    review.correct(
        meeting=under_review,
        party=under_review.invitations.get(party__short_name="Länsstyrelsen").party,
        by=lansstyrelsen_secretary,
        item=None,
        text="Kommundirektören var också närvarande.",
    )
    pdf_module()
    client.force_login(polis_member)
    response = client.get(reverse("minutes_pdf", args=[under_review.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="protokoll-{under_review.pk}.pdf"'
    reader = PdfReader(io.BytesIO(response.content))
    assert reader.trailer["/Root"]["/Lang"] == "sv"
    assert reader.metadata.title.startswith("Minnesanteckningar: ")
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for expected in (
        "Polisen redogjorde för NOA:s stöd.",
        "Gemensam lägesbild",
        "Utse kontaktperson för NOA",
        "Rikspolischef",
        "Kommundirektören var också närvarande.",
    ):
        assert expected in text
    assert "Ladda ner som PDF" not in text


def test_a_comment_on_a_version_replaced_meanwhile_gets_the_conflict_page_and_is_not_lost(
    client, under_review, lansstyrelsen, polisen, lansstyrelsen_secretary, polis_coordinator
):
    item = under_review.items[0]
    review.take_back(meeting=under_review, party=lansstyrelsen, by=lansstyrelsen_secretary, version=1)
    writing.save_entry(
        meeting=under_review, item=item, party=lansstyrelsen, by=lansstyrelsen_secretary, text="Ny text", base_version=1
    )
    review.send_for_review(meeting=under_review, party=lansstyrelsen, by=lansstyrelsen_secretary)
    client.force_login(polis_coordinator)
    url = reverse("minutes_comment", args=[under_review.pk, item.pk, polisen.pk])

    response = client.post(url, {"text": "Min kommentar på version 1", "version": "1"})

    assert response.status_code == 409
    page = response.content.decode()
    assert "Ny text" in page and "Min kommentar på version 1" in page
    assert 'name="version" value="2"' in page and "Kommentera version 2" in page
    assert not ReviewComment.objects.exists()
    assert client.post(url, {"text": "Min kommentar på version 1", "version": "2"}).status_code == 302
    assert ReviewComment.objects.get().version.number == 2


def test_a_comment_is_told_to_those_who_keep_the_minutes_as_each_chose(
    under_review, polisen, polis_coordinator, kommun_coordinator, lansstyrelsen_secretary
):
    from coordination.models import Notice, NoticePreferences

    NoticePreferences.objects.create(user=kommun_coordinator, minutes_commented="digest")
    review.comment(
        meeting=under_review, item=under_review.items[0], party=polisen, by=polis_coordinator, text="Ändra", version=1
    )
    told = OutboxMessage.objects.filter(kind=Kind.MINUTES_COMMENTED)
    assert list(told.values_list("recipient", flat=True)) == [lansstyrelsen_secretary.email]
    assert "Ändra" not in told.get().text and "Polisen" in told.get().subject
    assert Notice.objects.get().user == kommun_coordinator


def test_minutes_to_review_wait_for_the_reviewer_on_my_meetings_until_they_approve(
    client, under_review, polisen, polis_coordinator, polis_member
):
    client.force_login(polis_coordinator)
    assert "Minnesanteckningar att justera för Polisen" in client.get(reverse("my_meetings")).content.decode()
    client.force_login(polis_member)
    assert "Minnesanteckningar att justera" not in client.get(reverse("my_meetings")).content.decode()
    review.approve(meeting=under_review, party=polisen, by=polis_coordinator, version=1)
    client.force_login(polis_coordinator)
    assert "Minnesanteckningar att justera" not in client.get(reverse("my_meetings")).content.decode()


def test_an_edit_posted_after_the_minutes_were_sent_gets_the_conflict_page_with_the_text_kept(
    client, written, lansstyrelsen, lansstyrelsen_secretary, polis_member
):
    client.force_login(lansstyrelsen_secretary)
    url = reverse("minutes_entry", args=[written.pk, written.items[0].pk])
    review.send_for_review(meeting=written, party=lansstyrelsen, by=lansstyrelsen_secretary)

    response = client.post(url, {"text": "Min ändring <script>", "base_version": "1"})

    assert response.status_code == 409
    page = response.content.decode()
    assert "Min ändring &lt;script&gt;" in page and "Polisen redogjorde för **NOA:s** stöd." in page
    assert 'class="mt-3" novalidate' not in page
    assert Event.objects.filter(action=Event.Action.MINUTES_SAVED).count() == 1
    # Someone who never wrote them is refused as before.
    client.force_login(polis_member)
    assert client.post(url, {"text": "Smyg", "base_version": "1"}).status_code == 403


def test_a_server_without_pango_offers_the_printable_minutes_instead_of_the_pdf(
    client, under_review, reviewers, polis_member, monkeypatch
):
    import sys

    import coordination

    approve_all(under_review, reviewers)
    # As on a machine without Debian's Pango: WeasyPrint's import fails, which the app must not show.
    monkeypatch.delitem(sys.modules, "coordination.pdf", raising=False)
    monkeypatch.delattr(coordination, "pdf", raising=False)
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    client.force_login(polis_member)

    response = client.get(reverse("minutes_pdf", args=[under_review.pk]))

    assert response.status_code == 503
    text = response.content.decode()
    assert "PDF:en kan inte göras just nu" in text and "weasyprint" not in text.lower()
    assert f'href="/meetings/{under_review.pk}/minutes/print/"' in text
