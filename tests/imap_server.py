"""A real IMAP server for the tests: Debian's Dovecot, on 127.0.0.1, in a temporary directory.

conftest.py registers the fixture; a test that asks for ``imap_server`` gets
an ``ImapServer`` with ``host``, ``port``, ``user`` and ``password`` to point the code under test at,
and helpers that speak IMAP the way any client would:

* ``deliver(raw_bytes)`` APPENDs a message to INBOX (or another mailbox) and returns its UID;
* ``messages(mailbox)`` returns the raw messages in UID order, ``flags(mailbox)`` their flags by UID;
  both only EXAMINE and PEEK, so looking never marks anything \\Seen;
* ``mailboxes()`` lists the folders, ``clear()`` empties INBOX and removes every other folder;
* ``connect()`` returns a logged-in ``imaplib.IMAP4`` (usable as a context manager).

Module scope: a fixture imported into a test module is registered once per importing module (see
browser.py), so a session-scoped one would not be shared anyway; it would only keep one server per
module alive until the end of the run. Per module, one Dovecot starts (a few tens of milliseconds)
and stops (about one second: Dovecot's master sleeps a second to let its log process drain) when the
module is done. The mailbox lives as long as the module; a module whose tests need an empty one
adds ``@pytest.fixture(autouse=True) def empty_mailbox(imap_server): imap_server.clear()``.

Nothing outside the temporary directory is touched: the configuration does not include
/etc/dovecot, the base_dir (sockets, pid file), state_dir, log and the mail all live in the
temporary directory, and the system service (if the package started one) is left alone.
"""

import contextlib
import grp
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from .builders import missing_tool

DOVECOT = "/usr/sbin/dovecot"
MISSING = "dovecot-imapd is not installed: apt-get install dovecot-imapd (CI installs it)"
HOST = "127.0.0.1"
USER = "samrad-replies"
PASSWORD = "test-password"
START_TIMEOUT = 10  # seconds until the greeting, however slow the machine
STOP_TIMEOUT = 10  # seconds for the master to exit after SIGTERM (it needs about one)
# As root the master drops privileges; these users come with the dovecot-core package.
LOGIN_USER = "dovenull"  # imap-login, the pre-authentication process, chrooted
INTERNAL_USER = "dovecot"  # auth, anvil, stats; here also the owner of the mail (Dovecot refuses uid 0)


def _dovecot_version():
    output = subprocess.run([DOVECOT, "--version"], capture_output=True, text=True, timeout=10).stdout
    return output.split()[0] if output.strip() else "unknown"


def _free_port():
    """A port nothing listens on right now; Dovecot binds it a moment later (start() retries on a clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _quote(mailbox):
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(response, what):
    status, data = response
    if status != "OK":
        raise AssertionError(f"IMAP {what} failed: {status} {data!r}")
    return data


class ImapServer:
    """One Dovecot master process serving one user over plaintext IMAP on 127.0.0.1."""

    def __init__(self, root, user=USER, password=PASSWORD):
        self.root = Path(root)
        self.host = HOST
        self.port = None
        self.user = user
        self.password = password
        self.process = None
        self.config = self.root / "dovecot.conf"
        self.log = self.root / "dovecot.log"
        self.output = self.root / "dovecot.out"  # the master's own stdout/stderr (fatal startup errors)
        self.pid_file = self.root / "run" / "master.pid"

    # -- lifecycle ---------------------------------------------------------------------------------

    def _users(self):
        """(login user, internal user, internal group, mail user): the package's unprivileged accounts as
        root; as anyone else Dovecot cannot switch users, so every process runs as ourselves."""
        if os.geteuid() == 0:
            return LOGIN_USER, INTERNAL_USER, INTERNAL_USER, pwd.getpwnam(INTERNAL_USER)
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_name, grp.getgrgid(me.pw_gid).gr_name, me

    def _write_config(self):
        login_user, internal_user, internal_group, mail_user = self._users()
        root = self.root
        for name in ("run", "state"):
            (root / name).mkdir(exist_ok=True)
        home = root / "mail" / self.user
        home.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            # The mail processes run as the mail user and create the Maildir in its home.
            for path in (root / "mail", home):
                os.chown(path, mail_user.pw_uid, mail_user.pw_gid)
        passwd = root / "passwd"
        # user:password:uid:gid:gecos:home:shell:extra_fields — one file serves as passdb and userdb.
        ids = f"{mail_user.pw_uid}:{mail_user.pw_gid}"
        passwd.write_text(f"{self.user}:{{PLAIN}}{self.password}:{ids}::{home}::\n")
        passwd.chmod(0o644)  # read by the auth process, which runs as the internal user; a test password
        not_root = "" if os.geteuid() == 0 else "  chroot =\n"
        self.config.write_text(
            f"""# Written by tests/imap_server.py for one test run; nothing here includes /etc/dovecot.
protocols = imap
listen = {HOST}
base_dir = {root}/run
state_dir = {root}/state
instance_name = samrad-test-{self.port}
log_path = {self.log}
auth_verbose = yes

ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0

default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = {mail_user.pw_uid}
first_valid_gid = {mail_user.pw_gid}

mail_location = maildir:~/Maildir

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {passwd}
}}

service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
{not_root}}}

# Auth penalties would delay the first login after a wrong password by several seconds, from the
# same (and here the only) client address. The auth process looks for anvil's penalty socket under
# its default name; renaming the listener makes it find none, and the penalty is off. (Setting the
# listener's mode to 0 instead makes auth retry the connection for five seconds at every start.)
service anvil {{
  unix_listener anvil-auth-penalty {{
    path = anvil-auth-penalty-disabled
  }}
{not_root}}}
"""
        )

    def start(self, attempts=3):
        for attempt in range(attempts):
            self.port = _free_port()
            self._write_config()
            self.pid_file.unlink(missing_ok=True)
            with open(self.output, "ab") as output:
                self.process = subprocess.Popen(
                    [DOVECOT, "-c", str(self.config), "-F"],
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: teardown can find every child
                )
            error = self._wait_until_ready()
            if error is None:
                return self
            self.stop()
            if "Address already in use" not in self._tail() or attempt == attempts - 1:
                raise RuntimeError(f"Dovecot did not come up on {HOST}:{self.port}: {error}\n{self._tail()}")
        raise AssertionError("unreachable")

    def _wait_until_ready(self):
        """None once a client gets the IMAP greeting (which means the auth process is up too), else why not."""
        deadline = time.monotonic() + START_TIMEOUT
        reason = "no connection yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return f"dovecot exited with status {self.process.returncode}"
            if not self.pid_file.exists():
                # The master writes its pid file once its listeners are bound: until then the port
                # may still be someone else's (and a clash makes the master exit instead).
                time.sleep(0.01)
                continue
            try:
                with socket.create_connection((HOST, self.port), timeout=1) as client:
                    client.settimeout(1)  # short: the master may have died, or the port be someone else's
                    greeting = client.recv(1024)
                if greeting.startswith(b"* OK"):
                    return None
                reason = f"unexpected greeting {greeting!r}"
            except OSError as error:
                reason = str(error)
            time.sleep(0.01)
        return f"no IMAP greeting within {START_TIMEOUT} s ({reason})"

    def stop(self):
        """SIGTERM to the master, wait for it, then make sure none of its children lives on."""
        if self.process is None:
            return
        process, self.process = self.process, None
        group = process.pid  # start_new_session made the master the leader of its own process group
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT)
        # The master has exited; children it did not reap are finishing and get reparented. Wait for
        # them briefly, then kill whatever still runs in the group. (Zombies are already dead: init
        # reaps them.)
        deadline = time.monotonic() + 2
        while (survivors := _living_members(group)) and time.monotonic() < deadline:
            time.sleep(0.02)
        for pid in survivors:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _tail(self, lines=30):
        text = ""
        for path in (self.output, self.log):
            if path.exists():
                content = path.read_text(errors="replace").splitlines()[-lines:]
                if content:
                    text += f"--- {path.name} (last lines) ---\n" + "\n".join(content) + "\n"
        return text or "(dovecot wrote no log)"

    # -- IMAP helpers, as the user ----------------------------------------------------------------

    def connect(self):
        """A new logged-in IMAP4 connection; close it with logout() or use it in a with block."""
        connection = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            connection.login(self.user, self.password)
        except Exception:
            connection.shutdown()
            raise
        return connection

    def deliver(self, raw, mailbox="INBOX", flags=None):
        """APPEND one message (bytes, CRLF or LF line ends) and return its UID."""
        if isinstance(raw, str):
            raw = raw.encode()
        with self.connect() as connection:
            data = _check(connection.append(_quote(mailbox), flags, None, raw), "APPEND")
        match = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
        return int(match.group(1)) if match else None

    def _fetch_all(self, mailbox, items):
        """[(uid, flags, body or None)] in UID order, read-only (EXAMINE) so nothing changes."""
        with self.connect() as connection:
            _check(connection.select(_quote(mailbox), readonly=True), f"EXAMINE {mailbox}")
            uids = _check(connection.uid("SEARCH", None, "ALL"), "SEARCH")[0].split()
            if not uids:
                return []
            data = _check(connection.uid("FETCH", b",".join(uids).decode(), items), "FETCH")
        # imaplib gives (b'1 (UID 1 FLAGS (...) BODY[] {21}', b'<literal>') then b')' for a message
        # with a literal, and b'1 (UID 1 FLAGS (...))' for one without.
        results = []
        for index, part in enumerate(data):
            if isinstance(part, tuple):
                meta, body = part[0], part[1]
                following = data[index + 1] if index + 1 < len(data) else b""
                meta += following if isinstance(following, bytes) else b""
            elif part and part != b")" and b"UID" in part:
                meta, body = part, None
            else:
                continue
            uid = int(re.search(rb"UID (\d+)", meta).group(1))
            flags = set(re.search(rb"FLAGS \(([^)]*)\)", meta).group(1).decode().split())
            results.append((uid, flags - {"\\Recent"}, body))
        return sorted(results, key=lambda result: result[0])

    def messages(self, mailbox="INBOX"):
        """The raw messages in the mailbox, in UID order."""
        return [body for _, _, body in self._fetch_all(mailbox, "(UID FLAGS BODY.PEEK[])")]

    def flags(self, mailbox="INBOX"):
        """{uid: set of flags} for the mailbox, without the session-bound \\Recent."""
        return {uid: flags for uid, flags, _ in self._fetch_all(mailbox, "(UID FLAGS)")}

    def mailboxes(self):
        with self.connect() as connection:
            data = _check(connection.list(), "LIST")
        names = []
        for line in data:
            match = re.match(rb'\((?P<attributes>[^)]*)\) (?P<delimiter>"[^"]*"|NIL) (?P<name>.+)', line)
            name = match.group("name").decode()
            names.append(name[1:-1] if name.startswith('"') else name)
        return sorted(names)

    def clear(self):
        """Delete every message in INBOX and every other mailbox: a fresh mailbox for the next test."""
        names = self.mailboxes()
        with self.connect() as connection:
            for name in sorted(names, reverse=True):  # children ("a.b") before their parents ("a")
                if name.upper() != "INBOX":
                    _check(connection.delete(_quote(name)), f"DELETE {name}")
            count = int(_check(connection.select("INBOX"), "SELECT INBOX")[0])
            if count:
                _check(connection.store("1:*", "+FLAGS.SILENT", "(\\Deleted)"), "STORE")
                _check(connection.expunge(), "EXPUNGE")


def _living_members(group):
    """Pids of processes in the process group that are not zombies."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses.
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == group:
            pids.append(int(entry))
    return pids


@pytest.fixture(scope="module")
def imap_server():
    if not Path(DOVECOT).exists():
        missing_tool(MISSING)
    version = _dovecot_version()
    if not version.startswith("2.3."):
        # Dovecot 2.4 (Debian 13) rewrote the configuration syntax; this file speaks 2.3 (Debian 12).
        missing_tool(f"tests/imap_server.py writes a Dovecot 2.3 configuration; {DOVECOT} is {version}")
    # Under /tmp, not pytest's tmp_path: the socket paths must stay short (108 bytes), and the
    # unprivileged dovecot users must be able to reach the directory (pytest's parents are 0700).
    root = tempfile.mkdtemp(prefix="samrad-dovecot-", dir="/tmp")
    os.chmod(root, 0o755)
    server = ImapServer(root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def reply_mailbox(imap_server, settings):
    """The app's reply mailbox (REPLY_IMAP_*) is the test server's INBOX, emptied for the test."""
    imap_server.clear()
    settings.REPLY_IMAP_HOST = imap_server.host
    settings.REPLY_IMAP_PORT = imap_server.port
    settings.REPLY_IMAP_USER = imap_server.user
    settings.REPLY_IMAP_PASSWORD = imap_server.password
    settings.REPLY_IMAP_SSL = False
    return imap_server
