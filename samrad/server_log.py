"""Gunicorn's logger for Samråd: its access and error lines, with the calendar feed's secret token masked.

The feed address (/feed/<token>/samrad.ics, coordination/urls.py) is the key to a person's calendar; anyone
who reads the log could otherwise subscribe to it.
"""

import logging
import re

from gunicorn import glogging

# The segment after /feed/ at the start of a path; /account/feed/new/ and /account/feed/revoke/ hold no token.
FEED_TOKEN = re.compile(r"(?<!/account)/feed/[^/?#\s\"]+")
MASKED = "/feed/[maskerad]"


def mask_feed_tokens(text):
    return FEED_TOKEN.sub(MASKED, text)


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
