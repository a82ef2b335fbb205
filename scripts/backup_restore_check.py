"""Back up and restore Samråd the way the README says, and prove that nothing was lost.

    .venv/bin/python scripts/backup_restore_check.py [--server postgres://postgres@127.0.0.1:5432]

Builds data in a database of its own (the demo, plus edited positions, a
binary and a replaced document, a changed answer, an export of the log and a
deleted account), backs it up with the README's commands (pg_dump in custom
format, tar of the documents folder), restores into a fresh database and a
fresh folder, and compares: every row of every table, row by row, the
sequences, the append-only trigger, every document file against the
SHA-256 its row stores, and each meeting's event log against its hash chains. Exits non-zero on the first kind of difference.

Uses the databases samrad_backup_src and samrad_backup_restore (dropped and
created here) and PostgreSQL's own client tools, which must match the server.
It needs PostgreSQL; .ci/run runs it after the test suite.
"""

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
SOURCE, RESTORED = "samrad_backup_src", "samrad_backup_restore"
# Tables that must hold rows for the check to mean anything.
MUST_HAVE_ROWS = [
    "coordination_meeting",
    "coordination_answer",
    "coordination_position",
    "coordination_positionversion",
    "coordination_document",
    "coordination_event",
]


def run(*command, **kwargs):
    print("$", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], check=True, **kwargs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    server = parser.parse_args().server
    source_url, restored_url = f"{server}/{SOURCE}", f"{server}/{RESTORED}"
    for name in (SOURCE, RESTORED):
        run("dropdb", "--if-exists", "--maintenance-db", f"{server}/postgres", name)
        run("createdb", "--maintenance-db", f"{server}/postgres", name)

    with tempfile.TemporaryDirectory(prefix="samrad-backup-") as work:
        work = Path(work)
        source_documents = work / "source" / "documents"
        restored_parent = work / "restored"
        restored_parent.mkdir()
        dump, archive = work / "samrad.dump", work / "samrad-documents.tar.gz"

        build_data(source_url, source_documents)

        # The README's backup: the database first, then the documents (written once, never changed),
        # so every document row in the dump finds its file in the archive.
        run("pg_dump", "--format=custom", f"--file={dump}", source_url)
        run("tar", "-C", source_documents.parent, "-czf", archive, source_documents.name)
        # The README's restore, into a fresh database and a fresh folder.
        run("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored_url}", dump)
        run("tar", "-C", restored_parent, "-xzf", archive)

        problems = compare(source_url, restored_url, source_documents, restored_parent / "documents")
        problems += verify_logs(restored_url)
    if problems:
        print("\nBACKUP/RESTORE CHECK FAILED:", *problems, sep="\n  ")
        print(f"The databases {SOURCE} and {RESTORED} are kept for a look.")
        return 1
    for name in (SOURCE, RESTORED):
        run("dropdb", "--maintenance-db", f"{server}/postgres", name)
    print("\nBackup and restore: every row, sequence, trigger and document file intact.")
    return 0


def build_data(database_url, documents_root):
    """The demo plus what a backup must carry beyond it, all through the services, in a child process.

    A child process, so that Django's settings read this database and folder and its
    connections are closed before pg_dump runs.
    """
    env = {**os.environ, "DATABASE_URL": database_url, "DOCUMENTS_ROOT": str(documents_root), "PRODUCTION": "False"}
    run(sys.executable, ROOT / "manage.py", "migrate", "--no-input", "-v0", env=env)
    run(sys.executable, ROOT / "manage.py", "load_demo", env=env, stdout=subprocess.DEVNULL)
    run(sys.executable, ROOT / "manage.py", "shell", "-c", BUILD_MORE, env=env)


# Run by `manage.py shell` in the source database, after load_demo.
BUILD_MORE = """
import hashlib
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from coordination.services import agenda, eventlog, meetings
from coordination.management.commands.load_demo import DIALOGUE_TITLE
from coordination.models import Answer, Meeting, Party, Position

meeting = Meeting.objects.get(title=DIALOGUE_TITLE)
users = {user.username: user for user in get_user_model().objects.all()}
polisen = Party.objects.get(short_name="Polisen")
lansstyrelsen = Party.objects.get(short_name="Länsstyrelsen")

# Position versions: the police's draft edited twice, then shared.
draft = Position.objects.get(agenda_item__meeting=meeting, party=polisen)
for text in ("Andra utkastet: NOA stöder med analys.", "Tredje: NOA stöder med analys och utredare."):
    draft = agenda.save_position(item=draft.agenda_item, party=polisen, by=users["polis.handlaggare"], text=text,
                                 base_version=draft.version)
agenda.set_position_shared(position=draft, by=users["polis.handlaggare"], shared=True)

# Documents: every byte value, a Swedish file name, and a replaced one that is kept.
binary = bytes(range(256)) * 64
first = agenda.attach_document(item=draft.agenda_item, position=draft, party=polisen, by=users["polis.handlaggare"],
                               upload=ContentFile(binary, name="Lägesbild NOA (binär).bin"),
                               content_type="application/octet-stream", sha256=hashlib.sha256(binary).hexdigest())
newer = binary[::-1] + "åäö".encode()
agenda.attach_document(item=draft.agenda_item, position=draft, party=polisen, by=users["polis.handlaggare"],
                       upload=ContentFile(newer, name="Lägesbild NOA, reviderad.bin"),
                       content_type="application/octet-stream", sha256=hashlib.sha256(newer).hexdigest(),
                       replaces=first)

# A changed answer (the earlier one lives on in the log) and an export of the log.
slot = meeting.slots.active().order_by("start").first()
meetings.answer_slots(meeting=meeting, party=polisen, by=users["polis.samordnare"],
                      answers={slot.pk: (Answer.Value.IF_NEED_BE, "Kan efter omplanering")})
eventlog.export_event_log(meeting=meeting, party=lansstyrelsen, by=users["lst.sekreterare"], file_format="csv")

# A deleted account: its events keep the name, with no link.
users["polis.rikspolischef"].delete()
"""


def compare(source_url, restored_url, source_documents, restored_documents):
    problems = []
    with psycopg2.connect(source_url) as source, psycopg2.connect(restored_url) as restored:
        tables = names(source, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        restored_tables = names(restored, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        if tables != restored_tables:
            problems.append(f"tables differ: {sorted(set(tables) ^ set(restored_tables))}")
        for table in tables:
            before, after = rows(source, table), rows(restored, table)
            if table in MUST_HAVE_ROWS and not before:
                problems.append(f"{table}: no rows were built, so the check would prove nothing")
            differing = [key for key in before.keys() | after.keys() if before.get(key) != after.get(key)]
            if differing:
                key = min(differing)
                problems.append(f"{table}: {len(differing)} rows differ, e.g. {before.get(key)} != {after.get(key)}")
            else:
                print(f"  {table:<40} {len(before):>5} rows identical")
        sequences = "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1"
        if query(source, sequences) != query(restored, sequences):
            problems.append("sequences differ: new rows after a restore would collide with restored ones")
        trigger = "SELECT tgname FROM pg_trigger WHERE tgname = 'coordination_event_append_only'"
        if not query(restored, trigger):
            problems.append("the event log's append-only trigger is missing after the restore")
        documents = query(restored, "SELECT id, file, sha256, size FROM coordination_document ORDER BY id")
    problems += compare_documents(documents, source_documents, restored_documents)
    return problems


def verify_logs(database_url):
    """Each meeting's restored log still proves itself: manage.py verify_log recomputes its hash chains."""
    env = {**os.environ, "DATABASE_URL": database_url, "PRODUCTION": "False"}
    with psycopg2.connect(database_url) as restored:
        meetings = [row[0] for row in query(restored, "SELECT DISTINCT meeting_id FROM coordination_event ORDER BY 1")]
    problems = []
    for meeting in meetings:
        command = [sys.executable, ROOT / "manage.py", "verify_log", "--meeting", str(meeting)]
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode:
            problems.append(f"meeting {meeting}: the restored log does not prove itself: {result.stderr.strip()}")
    if not problems:
        print(f"  {'event log hash chains':<40} {len(meetings):>5} meetings prove themselves")
    return problems


def compare_documents(documents, source_documents, restored_documents):
    """Every document row finds its file, with the bytes of the SHA-256 and the size it stores."""
    problems = []
    for pk, name, sha256, size in documents:
        path = restored_documents / name
        if not path.is_file():
            problems.append(f"document {pk}: no file {name} after the restore")
            continue
        content = path.read_bytes()
        if hashlib.sha256(content).hexdigest() != sha256 or len(content) != size:
            problems.append(f"document {pk}: the restored file does not match its stored SHA-256 and size")
        elif content != (source_documents / name).read_bytes():
            problems.append(f"document {pk}: the restored file differs from the original")
    files = {path.name for path in source_documents.rglob("*") if path.is_file()}
    restored_files = {path.name for path in restored_documents.rglob("*") if path.is_file()}
    if files != restored_files:
        problems.append(f"document files differ: {sorted(files ^ restored_files)}")
    if not problems:
        print(f"  {'document files':<40} {len(documents):>5} match their SHA-256")
    return problems


def names(connection, sql):
    return sorted(row[0] for row in query(connection, sql))


def rows(connection, table):
    """Every row of a table as JSON text, by its primary key: compared row by row, not counted."""
    [key] = names(
        connection,
        f"SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
        f" WHERE i.indrelid = '\"{table}\"'::regclass AND i.indisprimary",
    )
    return dict(query(connection, f'SELECT "{key}"::text, row_to_json(t)::text FROM "{table}" t'))


def query(connection, sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


if __name__ == "__main__":
    sys.exit(main())
