"""The letter's scenario as demo data: three parties, their staff and the Uppsala dialogue.

Idempotent: a second run finds what the first made and changes nothing.
Everything goes through the services, so the event log tells the story too.
"""

import datetime
import hashlib

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from coordination.models import Answer, Meeting, Membership, Party
from coordination.services import agenda, attendance, meetings
from coordination.times import holiday_name, stockholm_datetime

# Published in the README for the local demo's made-up accounts; it guards nothing real.
DEMO_PASSWORD = "samrad-demo-2026"  # nosec B105

PARTIES = {
    "kommun": ("Uppsala kommun", "Kommunen", "kommunstyrelsen@uppsala-kommun.example"),
    "lansstyrelsen": ("Länsstyrelsen Uppsala län", "Länsstyrelsen", "registrator@lansstyrelsen-uppsala.example"),
    "polisen": ("Polismyndigheten", "Polisen", "registrator@polisen.example"),
}

# username: (party, role, shown name and title)
USERS = {
    "kommun.samordnare": ("kommun", Membership.Role.COORDINATOR, "Samordnare, kommunledningskontoret"),
    "kommun.ordforande": ("kommun", Membership.Role.MEMBER, "Kommunstyrelsens ordförande"),
    "lst.samordnare": ("lansstyrelsen", Membership.Role.COORDINATOR, "Samordnare, länsstyrelsen"),
    "lst.sekreterare": ("lansstyrelsen", Membership.Role.SECRETARY, "Sekreterare, länsstyrelsen"),
    "lst.landshovding": ("lansstyrelsen", Membership.Role.MEMBER, "Landshövding"),
    "polis.samordnare": ("polisen", Membership.Role.COORDINATOR, "Stabschef, rikspolischefens kansli"),
    "polis.handlaggare": ("polisen", Membership.Role.MEMBER, "Handläggare, rikspolischefens kansli"),
    "polis.rikspolischef": ("polisen", Membership.Role.MEMBER, "Rikspolischef"),
}

DIALOGUE_TITLE = "Dialog om utökat samarbete"
DIALOGUE_PURPOSE = (
    "Kommunstyrelsen och länsstyrelsen bjuder in rikspolischefen till dialog om ytterligare stärkt "
    "samarbete för ökad trygghet i kommunen och länet: stöd från Nationella operativa avdelningen (NOA), "
    "kameror för brottsutredning, ett lokalt poliskontor i Gottsunda och långsiktigt förebyggande arbete "
    "i socioekonomiskt utsatta områden."
)
EARLIER_TITLE = "Avstämning inför dialogen om Gottsunda"

PROPOSERS = {"kommun": "kommun.samordnare", "lansstyrelsen": "lst.samordnare", "polisen": "polis.samordnare"}
# key, title, proposing party, presenting party, minutes, description
AGENDA = [
    (
        "noa",
        "Stöd från Nationella operativa avdelningen (NOA)",
        "kommun",
        "polisen",
        30,
        "Hur NOA kan prioritera, tillsätta resurser och stötta lokalpolisområdet Uppsala.",
    ),
    (
        "kameror",
        "Kameror för brottsutredning",
        "kommun",
        "kommun",
        25,
        "Kamerabevakning i stadsdelar där det skulle underlätta brottsutredning.",
    ),
    (
        "gottsunda",
        "Lokalt poliskontor i Gottsunda",
        "kommun",
        "kommun",
        25,
        "Ett lokalt poliskontor i Gottsunda/Valsätra, ett särskilt utsatt område.",
    ),
    (
        "forebyggande",
        "Långsiktigt förebyggande arbete i utsatta områden",
        "lansstyrelsen",
        "lansstyrelsen",
        30,
        "Länets råd för social hållbarhet: hälsa, livsvillkor och trygghet i socioekonomiskt utsatta områden.",
    ),
    ("resurser", "Polisens nationella resursfördelning 2027", "polisen", "polisen", 15, ""),
]
KOMMUN_GOTTSUNDA = """Uppsala kommun har länge efterfrågat ett lokalt poliskontor i Gottsunda.

- Det finns en stark vilja på lokal nivå att etablera kontoret.
- Kommunen kan bidra med lokaler i Gottsunda centrum.
- Stöd från den nationella nivån behövs för bemanningen.

Se bifogat underlag."""
UNDERLAG = "Underlag: lokalt poliskontor i Gottsunda\n\nLokaler, bemanning och tidplan (utkast för dialogen).\n"
LST_FOREBYGGANDE = """Länsstyrelsen samordnar länets brottsförebyggande arbete och har inrättat ett länsövergripande råd för social hållbarhet.

Vi föreslår att parterna tar fram en gemensam, långsiktig plan för de utsatta områdena med uppföljning varje halvår."""
POLIS_NOA_DRAFT = """Utkast (internt): NOA kan bidra med analysstöd under första halvåret 2027. Bemanning att stämma av med regionen."""


class Command(BaseCommand):
    help = "Create the demo parties, users and meetings of the Uppsala dialogue (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        parties = {
            key: Party.objects.get_or_create(name=name, defaults={"short_name": short, "email": email})[0]
            for key, (name, short, email) in PARTIES.items()
        }
        users = {username: self._user(username, parties, *spec) for username, spec in USERS.items()}
        if not Meeting.objects.filter(title=EARLIER_TITLE).exists():
            self._earlier_meeting(parties, users)
        if not Meeting.objects.filter(title=DIALOGUE_TITLE).exists():
            self._dialogue(parties, users)
        self._print_logins()

    def _user(self, username, parties, party_key, role, title):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": title, "email": f"{username}@samrad.example"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        Membership.objects.get_or_create(user=user, party=parties[party_key], defaults={"role": role, "title": title})
        return user

    def _meeting(self, parties, users, *, title, purpose, location):
        return meetings.save_meeting(
            by=users["kommun.samordnare"],
            party=parties["kommun"],
            details={
                "title": title,
                "purpose": purpose,
                "location": location,
                "video_link": "",
                "duration_minutes": 120,
                "answer_deadline": timezone.localdate() + datetime.timedelta(days=10),
            },
            convening={parties["kommun"], parties["lansstyrelsen"]},
            required={parties["polisen"]},
            optional=set(),
        )

    def _dialogue(self, parties, users):
        """Polling, with times over the coming weeks answered by the county board and the police."""
        meeting = self._meeting(
            parties, users, title=DIALOGUE_TITLE, purpose=DIALOGUE_PURPOSE, location="Stadshuset, Uppsala"
        )
        days = [working_day(offset) for offset in (8, 10, 15, 17, 22)]
        eve = next_holiday_weekday()
        if eve:
            days.append(eve)
        times = [slot_times(day, 10) for day in sorted(set(days))]
        slots = meetings.propose_slots(
            meeting=meeting, party=parties["kommun"], by=users["kommun.samordnare"], times=times
        )
        meetings.open_polling(meeting=meeting, by=users["kommun.samordnare"], party=parties["kommun"])
        lst = {}
        polis = {}
        for index, slot in enumerate(slots):
            holiday = holiday_name(slot.start.astimezone(timezone.get_default_timezone()).date())
            if holiday:
                lst[slot.pk] = (Answer.Value.NO, "Helgdag")
                polis[slot.pk] = (Answer.Value.NO, "")
            elif index == 0:
                lst[slot.pk] = (Answer.Value.YES, "")
                polis[slot.pk] = (Answer.Value.NO, "Rikspolischefen är i Bryssel")
            elif index == 1:
                lst[slot.pk] = (Answer.Value.IF_NEED_BE, "Landshövdingen kan efter lunch")
                polis[slot.pk] = (Answer.Value.YES, "")
            elif index == 2:
                lst[slot.pk] = (Answer.Value.YES, "")
                polis[slot.pk] = (Answer.Value.YES, "Passar bra, NOA kan delta")
            else:
                lst[slot.pk] = (Answer.Value.YES, "")
                polis[slot.pk] = (Answer.Value.IF_NEED_BE, "")
        meetings.answer_slots(meeting=meeting, party=parties["lansstyrelsen"], by=users["lst.sekreterare"], answers=lst)
        meetings.answer_slots(meeting=meeting, party=parties["polisen"], by=users["polis.handlaggare"], answers=polis)
        attendance.name_attendee(
            meeting=meeting,
            party=parties["polisen"],
            by=users["polis.samordnare"],
            user=users["polis.rikspolischef"],
            name="Rikspolischef",
            email=users["polis.rikspolischef"].email,
            title="Rikspolischef",
        )
        self._agenda(meeting, parties, users)

    def _agenda(self, meeting, parties, users):
        """The letter's topics, with a shared position of the municipality and a draft of the police."""
        items = {}
        for key, title, proposer, presenter, minutes, description in AGENDA:
            items[key] = agenda.propose_agenda_item(
                meeting=meeting,
                party=parties[proposer],
                by=users[PROPOSERS[proposer]],
                title=title,
                description=description,
                presenting_party=parties[presenter],
                planned_minutes=minutes,
            )
            if key != "resurser":
                agenda.accept_agenda_item(item=items[key], party=parties["kommun"], by=users["kommun.samordnare"])
        gottsunda = agenda.save_position(
            item=items["gottsunda"],
            party=parties["kommun"],
            by=users["kommun.samordnare"],
            text=KOMMUN_GOTTSUNDA,
            base_version=0,
        )
        agenda.set_position_shared(position=gottsunda, by=users["kommun.samordnare"], shared=True)
        upload = ContentFile(UNDERLAG.encode(), name="Underlag lokalt poliskontor Gottsunda.txt")
        agenda.attach_document(
            item=items["gottsunda"],
            position=gottsunda,
            party=parties["kommun"],
            by=users["kommun.samordnare"],
            upload=upload,
            content_type="text/plain",
            sha256=hashlib.sha256(UNDERLAG.encode()).hexdigest(),
        )
        forebyggande = agenda.save_position(
            item=items["forebyggande"],
            party=parties["lansstyrelsen"],
            by=users["lst.sekreterare"],
            text=LST_FOREBYGGANDE,
            base_version=0,
        )
        agenda.set_position_shared(position=forebyggande, by=users["lst.sekreterare"], shared=True)
        agenda.save_position(
            item=items["noa"],
            party=parties["polisen"],
            by=users["polis.handlaggare"],
            text=POLIS_NOA_DRAFT,
            base_version=0,
        )

    def _earlier_meeting(self, parties, users):
        """Already scheduled, with attendees named and one confirmed by the county board's secretary."""
        meeting = self._meeting(
            parties,
            users,
            title=EARLIER_TITLE,
            purpose="Förberedande avstämning mellan kommunen, länsstyrelsen och polisen.",
            location="Länsstyrelsen, Hamnesplanaden 3, Uppsala",
        )
        slot = meetings.propose_slots(
            meeting=meeting,
            party=parties["kommun"],
            by=users["kommun.samordnare"],
            times=[slot_times(working_day(4), 13)],
        )[0]
        meetings.open_polling(meeting=meeting, by=users["kommun.samordnare"], party=parties["kommun"])
        for party, user in (("lansstyrelsen", "lst.samordnare"), ("polisen", "polis.samordnare")):
            meetings.answer_slots(
                meeting=meeting, party=parties[party], by=users[user], answers={slot.pk: (Answer.Value.YES, "")}
            )
        meetings.confirm_slot(meeting=meeting, slot=slot, by=users["kommun.samordnare"], party=parties["kommun"])
        for party, username in (
            ("kommun", "kommun.ordforande"),
            ("lansstyrelsen", "lst.landshovding"),
            ("polisen", "polis.samordnare"),
        ):
            user = users[username]
            attendee = attendance.name_attendee(
                meeting=meeting,
                party=parties[party],
                by=user,
                user=user,
                name=user.first_name,
                email=user.email,
                title=user.first_name,
            )
            if party != "polisen":
                attendance.confirm_attendance(
                    attendee=attendee, by=users["lst.sekreterare"], party=parties["lansstyrelsen"]
                )

    def _print_logins(self):
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, (party, role, title) in USERS.items():
            self.stdout.write(f"  {username:<22} {PARTIES[party][1]:<14} {role.label:<12} {title}")


def working_day(offset):
    day = timezone.localdate() + datetime.timedelta(days=offset)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def next_holiday_weekday():
    """The next weekday holiday or eve within eight weeks, to show how holidays are flagged."""
    for offset in range(5, 56):
        day = timezone.localdate() + datetime.timedelta(days=offset)
        if day.weekday() < 5 and holiday_name(day):
            return day
    return None


def slot_times(day, hour):
    start = stockholm_datetime(day, datetime.time(hour, 0))
    return start, start + datetime.timedelta(hours=2)
