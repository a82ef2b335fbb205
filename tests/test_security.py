"""Response headers on every kind of response, the health check, and the production settings' refusals."""

import collections
import re
import secrets
import subprocess

import pytest
from django.db import DatabaseError
from django.urls import reverse

from coordination.services import feeds

from .builders import ROOT, run_django


def assert_protective_headers(response, *, private=True):
    policy = response["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    if private:
        assert "no-store" in response["Cache-Control"]


def test_a_meeting_page_has_the_headers(client, meeting, polis_member):
    client.force_login(polis_member)
    response = client.get(reverse("meeting_detail", args=[meeting.pk]))
    assert_protective_headers(response)
    assert response["X-Frame-Options"] == "DENY"


def test_an_error_page_has_the_headers(client, polis_member):
    client.force_login(polis_member)
    response = client.get("/meetings/999999/")
    assert response.status_code == 404
    assert_protective_headers(response)


def test_a_download_has_the_headers(client, scheduled_meeting, polis_member):
    client.force_login(polis_member)
    response = client.get(reverse("meeting_ics", args=[scheduled_meeting.pk]))
    assert_protective_headers(response)


def test_the_feed_has_the_headers_and_stays_revalidatable(client, scheduled_meeting, polis_member):
    token = feeds.new_feed_token(polis_member)
    response = client.get(reverse("feed", args=[token]))
    assert_protective_headers(response, private=False)
    assert response["Cache-Control"] == "private, no-cache"


def test_the_login_page_has_the_headers(client, db):
    assert_protective_headers(client.get("/login/"), private=False)


def test_the_health_check_says_ok_and_nothing_more(client, db):
    response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok\n")
    assert "no-store" in response["Cache-Control"]


def test_the_health_check_reports_a_database_that_does_not_answer(client, db, monkeypatch):
    class Unreachable:
        def cursor(self):
            raise DatabaseError("connection refused")

    monkeypatch.setattr("coordination.views.pages.connection", Unreachable())
    response = client.get("/healthz")
    assert (response.status_code, response.content) == (503, b"unavailable\n")


def test_production_refuses_to_start_without_a_key_hosts_and_postgresql():
    result = run_django({"PRODUCTION": "True"}, "check")
    assert result.returncode != 0
    for need in ("SECRET_KEY", "ALLOWED_HOSTS", "PostgreSQL"):
        assert need in result.stderr


def test_a_strict_boolean_refuses_anything_but_true_or_false():
    result = run_django({"DEBUG": "yes"}, "check")
    assert result.returncode != 0 and "DEBUG must be True or False" in result.stderr


PRODUCTION_ENV = {
    "PRODUCTION": "True",
    "SECRET_KEY": secrets.token_urlsafe(60),
    "ALLOWED_HOSTS": "testserver",
    "DATABASE_URL": "postgres://samrad@db.invalid:5432/samrad",
}


def test_production_behind_a_proxy_refuses_to_start_without_trusting_it():
    """Else every client has the proxy's address, and five bad logins for a name lock it for everyone."""
    result = run_django({**PRODUCTION_ENV, "BEHIND_TLS_PROXY": "True"}, "check")
    assert result.returncode != 0
    assert "BEHIND_TLS_PROXY=True needs TRUSTED_PROXY_COUNT" in result.stderr
    assert (
        run_django({**PRODUCTION_ENV, "BEHIND_TLS_PROXY": "True", "TRUSTED_PROXY_COUNT": "1"}, "check").returncode == 0
    )


def test_production_passes_the_deployment_checklist():
    result = run_django(PRODUCTION_ENV, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_serves_hashed_compressed_static_files_and_keeps_connections_as_told():
    show = (
        "from django.conf import settings; db = settings.DATABASES['default']; "
        "print(settings.STORAGES['staticfiles']['BACKEND'], db['CONN_MAX_AGE'], db['CONN_HEALTH_CHECKS'])"
    )
    result = run_django(
        {**PRODUCTION_ENV, "CONN_MAX_AGE": "300", "CONN_HEALTH_CHECKS": "False"}, "shell", "--no-imports", "-c", show
    )
    assert result.stdout.split() == ["whitenoise.storage.CompressedManifestStaticFilesStorage", "300", "False"], (
        result.stderr
    )


def test_production_redirects_to_https_but_not_the_load_balancers_health_check():
    # The database is unreachable here, so the health check answers 503 itself rather than a redirect.
    ask = "from django.test import Client; c = Client(); print(c.get('/healthz').status_code, c.get('/login/').status_code)"
    result = run_django(PRODUCTION_ENV, "shell", "--no-imports", "-c", ask)
    assert result.stdout.split() == ["503", "301"], result.stderr


@pytest.mark.parametrize(
    "template",
    [
        "base.html",
        "coordination/base_document.html",
        "coordination/kallelse.html",
        "coordination/minutes_print.html",
        "error_page.html",
        "500.html",
        "503.html",
    ],
)
def test_no_template_has_inline_script_or_style(template):
    """A script is a static file the page loads (CSP script-src 'self'), never code in the page."""
    text = (ROOT / "templates" / template).read_text()
    assert not re.search(r"<script(?![^>]*\ssrc=\"{% static )", text)
    assert "style=" not in text and "<style" not in text


# Static checks: markup the code writes itself, and what bandit finds.

TEMPLATES = ROOT / "templates"
UNESCAPED_IN_TEMPLATE = re.compile(r"\|\s*safe(seq)?\b|{%\s*autoescape\s+off\b")
# Plain-text mail bodies: no browser renders them, and escaping would put &amp; into the mail.
PLAIN_TEXT_TEMPLATES = {
    "coordination/email/invite.txt",
    "coordination/email/holds_released.txt",
    "coordination/email/reminder.txt",
    "coordination/email/password_reset.txt",
    "coordination/email/open_for_answers.txt",
    "coordination/email/notice.txt",
    "coordination/email/no_longer_called.txt",
    "coordination/email/activation.txt",
    "coordination/email/membership_added.txt",
    "coordination/email/guest_link.txt",
    "coordination/email/guest_code.txt",
    "coordination/email/action_overdue.txt",
    "coordination/email/minutes_review.txt",
    "coordination/email/minutes_approved.txt",
}
MARKUP_IN_PYTHON = re.compile(
    r"\b(mark_safe|format_html|format_html_join|SafeString|SafeText|html_safe|from_string|Template)\("
)
# Every place the code declares text to be markup, or builds a template from a string, and why that is safe.
SANITISING_PLACES = {
    ("coordination/templatetags/samrad.py", "mark_safe"): [
        "sanitised_html: a position's HTML, reduced by nh3 to an allow-list by coordination/markdown.render when saved",
        "answer_cells: the grid's cells, every label and comment passed through html.escape",
        "radio_choices: the answer form's radios, every name, value, id and label passed through html.escape",
    ],
    ("coordination/fragments.py", "mark_safe"): [
        "meeting_parts: the meeting page's parts from the cache, rendered by the templates with escaping on; only "
        "Django's own CSRF token is put in",
    ],
}


def test_no_template_turns_escaping_off():
    unescaped = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in sorted(TEMPLATES.rglob("*"))
        if path.is_file() and str(path.relative_to(TEMPLATES)) not in PLAIN_TEXT_TEMPLATES
        for match in UNESCAPED_IN_TEMPLATE.finditer(path.read_text())
    ]
    assert unescaped == []


def test_the_plain_text_templates_are_the_mail_bodies_only():
    assert {str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.txt")} == PLAIN_TEXT_TEMPLATES


def test_python_marks_text_safe_only_where_it_was_sanitised():
    found = collections.Counter(
        (str(path.relative_to(ROOT)), name)
        for folder in ("coordination", "samrad")
        for path in (ROOT / folder).rglob("*.py")
        for name in MARKUP_IN_PYTHON.findall(path.read_text())
    )
    assert found == collections.Counter({place: len(reasons) for place, reasons in SANITISING_PLACES.items()})


def test_bandit_finds_nothing_unexplained():
    """`make security`: a finding is fixed, or marked ``# nosec BXXX`` with the reason on the line above."""
    result = subprocess.run(
        ["make", "--no-print-directory", "security"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_nosec_names_its_check_and_gives_a_reason():
    for folder in ("coordination", "samrad"):
        for path in (ROOT / folder).rglob("*.py"):
            lines = path.read_text().splitlines()
            for number, line in enumerate(lines):
                if "nosec" in line:
                    assert re.search(r"# nosec B\d{3}", line), f"{path}:{number + 1} names no check"
                    assert lines[number - 1].strip().startswith("#"), f"{path}:{number + 1} gives no reason above"
