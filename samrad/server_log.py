"""Gunicorn's logger for Samråd: its access and error lines, with the secret tokens of addresses masked.

The feed address (/feed/<token>/samrad.ics, coordination/urls.py) is the key to a person's calendar, and a
guest's personal link (/guest/<token>/) the first half of the key to a meeting; anyone who reads the log
could otherwise use them.
"""

import logging
import re

from gunicorn import glogging

# The segment after /feed/ at the start of a path; /account/feed/new/ and /account/feed/revoke/ hold no token.
FEED_TOKEN = re.compile(r"(?<!/account)/feed/[^/?#\s\"]+")
# A guest's link is a 43-character token (services/guests.py); the guest pages' own words are shorter.
GUEST_TOKEN = re.compile(r"/guest/[A-Za-z0-9_-]{20,}")


def mask_feed_tokens(text):
    """Every secret token in ``text`` masked: the feed's and the guest links'."""
    return GUEST_TOKEN.sub("/guest/[maskerad]", FEED_TOKEN.sub("/feed/[maskerad]", text))


class FeedTokenFilter(logging.Filter):
    """Rewrites a record whose message holds a feed address (the request line, the path, the referrer)."""

    def filter(self, record):
        message = record.getMessage()
        masked = mask_feed_tokens(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


FEED_TOKEN_FILTER = FeedTokenFilter()


class MaskingLogger(glogging.Logger):
    def setup(self, cfg):
        super().setup(cfg)
        # addFilter keeps one of each, so a reload (which runs setup again) adds nothing twice.
        for log in (self.access_log, self.error_log):
            log.addFilter(FEED_TOKEN_FILTER)
