"""Queries that Django compiles once per process, then runs with each request's values.

Compiling a query with the visibility subqueries (models.visible_meeting_ids) costs Django several times what
the database takes to run it, and some pages ask one such query and little else: the feed's 304 asks only
for its meetings' sums. Those queries are compiled once with marks in place of the user's id and the moments
they are asked at, and run from then on with the marks' parameters replaced. The SQL is Django's own, so
visibility still lives in the queryset; only the values change between requests.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import connection

# No user has a negative id, and no moment asked about lies in 1901: a parameter equal to one of these is a mark.
USER_MARK = -7_000_001
MOMENT_MARKS = tuple(datetime.datetime(1901, 1, day, tzinfo=datetime.UTC) for day in range(1, 4))

_compiled = {}


def state_of(name, build, user, *moments):
    """The row of sums that ``build(user, *moments)`` gives the SQL of (MeetingQuerySet.state_sql), compiled once
    per process under ``name``.

    ``build`` is called with marks the first time only, so it must put the user's id and the moments into the
    query as parameters, never decide anything on them in Python.
    """
    key = (name, connection.vendor)
    if key not in _compiled:
        _compiled[key] = _compile(build, len(moments))
    sql, params, marks = _compiled[key]
    params = list(params)
    for index, which in marks:
        params[index] = user.pk if which is None else connection.ops.adapt_datetimefield_value(moments[which])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _compile(build, count):
    sql, params = build(get_user_model()(pk=USER_MARK), *MOMENT_MARKS[:count])
    moments = [connection.ops.adapt_datetimefield_value(moment) for moment in MOMENT_MARKS[:count]]
    marks = []
    for index, value in enumerate(params):
        if value == USER_MARK:
            marks.append((index, None))
        elif value in moments:
            marks.append((index, moments.index(value)))
    return sql, tuple(params), marks
