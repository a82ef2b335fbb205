"""The IMAP harness itself: a real Dovecot that a plain imaplib client logs in to, reads and marks."""

import imaplib

import pytest

REPLY = (
    "From: Registrator <registrator@polisen.example>\r\n"
    "To: samrad-replies@samrad.example\r\n"
    "Subject: =?utf-8?q?Svar=3A_M=C3=B6te_om_samverkan?=\r\n"
    "Message-ID: <reply-1@polisen.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Vi kommer båda två.\r\n"
).encode()


@pytest.fixture(autouse=True)
def empty_mailbox(imap_server):
    imap_server.clear()


def test_a_delivered_reply_is_unseen_until_a_client_marks_it_seen(imap_server):
    uid = imap_server.deliver(REPLY)

    with imaplib.IMAP4(imap_server.host, imap_server.port) as client:
        client.login(imap_server.user, imap_server.password)
        assert client.select("INBOX") == ("OK", [b"1"])
        assert client.uid("SEARCH", None, "UNSEEN") == ("OK", [str(uid).encode()])

        status, data = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
        assert status == "OK"
        assert data[0][1] == REPLY

        assert client.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")[0] == "OK"
        assert client.uid("SEARCH", None, "UNSEEN") == ("OK", [b""])

    assert imap_server.flags() == {uid: {"\\Seen"}}
    assert imap_server.messages() == [REPLY]


def test_a_reply_moved_to_another_folder_leaves_the_inbox(imap_server):
    uid = imap_server.deliver(REPLY)

    with imap_server.connect() as client:
        assert client.create("Behandlade")[0] == "OK"
        client.select("INBOX")
        assert client.uid("MOVE", str(uid), "Behandlade")[0] == "OK"

    assert imap_server.messages() == []
    assert imap_server.messages("Behandlade") == [REPLY]
    assert imap_server.mailboxes() == ["Behandlade", "INBOX"]


def test_each_test_starts_from_an_empty_mailbox(imap_server):
    assert imap_server.mailboxes() == ["INBOX"]
    assert imap_server.messages() == []


def test_a_wrong_password_is_refused(imap_server):
    with imaplib.IMAP4(imap_server.host, imap_server.port) as client:
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            client.login(imap_server.user, "not-the-password")
    # The failure does not slow the next login down (auth penalties are off).
    with imap_server.connect() as client:
        assert client.noop()[0] == "OK"
