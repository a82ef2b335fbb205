"""Prove an exported event log (CSV or JSON) unaltered, or a meeting's stored log, by recomputing its hash chains."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from coordination import eventchain
from coordination.services.eventlog import check_export, first_unlike_text


class Command(BaseCommand):
    help = "Recompute the hash chains of an exported event log (FILE) or of a meeting's stored log (--meeting N)."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="an export of the event log, CSV or JSON")
        parser.add_argument("--meeting", type=int, help="the number of a meeting whose stored log to check")

    def handle(self, *args, **options):
        # In the site's language (Swedish), whatever a request before it in the same process left active.
        with translation.override(settings.LANGUAGE_CODE):
            self._verify(**options)

    def _verify(self, *, file=None, meeting=None, **options):
        if (file is None) == (meeting is None):
            raise CommandError(_("Give either an exported file or --meeting with the meeting's number."))
        if file is not None:
            try:
                with open(file, "rb") as exported:
                    body = exported.read()
                result, rows, language = check_export(body)
            except OSError as error:
                raise CommandError(_("The file could not be read: %(error)s") % {"error": error.strerror}) from None
            except (ValueError, KeyError, TypeError):
                raise CommandError(_("The file is not an export of Samråd's event log.")) from None
        else:
            result = eventchain.check_stored(meeting)
        if result.broken is not None:
            raise CommandError(
                _("Event %(number)s has been changed, or an event before it removed: its checksum does not follow.")
                % {"number": result.broken}
            )
        if not result.heads_match:
            raise CommandError(_("The log's last events have been removed or the head of its chain changed."))
        self.stdout.write(_("The log is unaltered: %(count)s events, every checksum follows.") % {"count": result.rows})
        if file is None:
            return
        unlike, found = eventchain.first_unlike_stored(result.hashes)
        if unlike is not None:
            raise CommandError(
                _(
                    "But event %(number)s differs from the stored log: the file was changed and its checksums "
                    "computed anew."
                )
                % {"number": unlike}
            )
        unlike_text = language and first_unlike_text(rows, language)
        if unlike_text:
            raise CommandError(
                _(
                    "The words of event %(number)s (when, what happened) are not what the stored event says: "
                    "they were changed in the file, or Samråd words events otherwise since the export."
                )
                % {"number": unlike_text}
            )
        self.stdout.write(
            _("%(found)s of its %(count)s events are in this installation's log, with the same checksums and words.")
            % {"found": found, "count": result.rows}
        )
