"""Gunicorn's settings for every start of the web process: scripts/serve (production, make bench-load) and the
tests that start it. scripts/serve adds --bind and --workers from BIND and WEB_CONCURRENCY; GUNICORN_CMD_ARGS
overrides anything here for one start (the tests shorten the timeout with it).
"""

wsgi_app = "samrad.wsgi"

# A sync worker reads a request's body itself and is killed by the master once that takes longer than
# `timeout` (a slow upload ends in a bare 500), and two slow clients hold both workers. A gthread worker
# hands each connection to one of its threads while its main thread goes on answering the master, so a
# slow client holds one thread, and a request may take longer than `timeout`. Each thread keeps its own
# database connection (CONN_MAX_AGE): count WEB_CONCURRENCY × threads per machine for PostgreSQL.
worker_class = "gthread"
threads = 4
# How long the master waits for a worker's heartbeat before it kills the worker (a worker stuck as a whole).
timeout = 30
# On a stop or reload, the time in-flight requests get to finish.
graceful_timeout = 30
# How long an idle kept-alive connection waits for its next request without holding a thread.
keepalive = 5

accesslog = "-"
errorlog = "-"
# The feed's secret address never reaches a log line (samrad/server_log.py).
logger_class = "samrad.server_log.MaskingLogger"

# Gunicorn's control socket (one path per user) stays off: nothing here uses it, and two servers on one
# machine (a benchmark beside CI) would contend for it.
control_socket_disable = True
