"""How long a fresh worker's first feed request takes, with the cache in each process's memory and in Redis.

    .venv/bin/python scripts/feed_first_request.py [--meetings 500] [--workers 3]

Builds one user whose party is in ``--meetings`` scheduled meetings (the benchmark's feed) in a SQLite
database of its own, then starts ``--workers`` fresh Python processes one after the other, as gunicorn
starts its workers: each answers /healthz first (the URLconf and the middleware load on a worker's first
request, whatever it is for), then the feed three times, and prints the first feed request's time and the
median of the other two. With the cache in memory every fresh worker starts empty; with Redis (REDIS_URL,
else 127.0.0.1:6379 when a server answers there) the first worker fills the shared cache and the later
ones read it. The Redis keys are made under a prefix of this run's own and removed at the end.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def django_setup():
    """Django as a gunicorn worker starts it: by loading the WSGI application (samrad/wsgi.py)."""
    # WhiteNoise looks for collected static files, which only production builds have; the feed needs none.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    sys.path.insert(0, str(ROOT))
    import samrad.wsgi  # noqa: F401


def build(meetings):
    """Run in a process of its own: the feed user and their address; prints the token."""
    django_setup()
    from coordination.management.commands import benchmark
    from coordination.services import feeds

    benchmark.FEED_MEETINGS = meetings
    print(feeds.new_feed_token(benchmark.build_feed_user()))


def worker(token, prefix):
    """Run in a fresh process: one /healthz, then the feed three times; prints the times as JSON."""
    django_setup()
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    if prefix:
        settings.CACHES["default"]["KEY_PREFIX"] = prefix
    client = Client(HTTP_HOST="127.0.0.1")  # one of the default ALLOWED_HOSTS
    if client.get(reverse("healthz")).status_code != 200:
        raise SystemExit("/healthz did not answer 200")
    url = reverse("feed", args=[token])
    times = []
    for _ in range(3):
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append(((time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000))
        if response.status_code != 200:
            raise SystemExit(f"the feed answered {response.status_code}")
    print(json.dumps({"times": times, "bytes": len(response.content)}))


def redis_url():
    """REDIS_URL, else the local default when a server answers there; None when there is none."""
    import redis

    url = os.environ.get("REDIS_URL") or DEFAULT_REDIS
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return None
    return url


def remove_keys(url, prefix):
    import redis

    server = redis.Redis.from_url(url)
    for key in server.scan_iter(match=f"{prefix}:*"):
        server.delete(key)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--meetings", type=int, default=500)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker", nargs=2, metavar=("TOKEN", "PREFIX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        return build(args.build)
    if args.worker:
        return worker(*args.worker)

    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        env.update(DATABASE_URL=f"sqlite:///{folder}/feed.sqlite3", DEBUG="False")
        python = sys.executable
        subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        token = subprocess.run(
            [python, __file__, "--build", str(args.meetings)],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout.strip()
        url = redis_url()
        caches = [("memory", {}, "")]
        if url:
            caches.append(("redis", {"REDIS_URL": url}, f"feed-first-{uuid.uuid4().hex[:12]}"))
        else:
            print("no Redis answers (REDIS_URL or 127.0.0.1:6379): measuring the memory cache only")
        with open("/proc/loadavg") as load:
            print(f"{args.meetings} meetings; load average {' '.join(load.read().split()[:3])}")
        print(
            f"{'cache':<7} {'worker':>6} {'first ms':>9} {'first CPU':>9} {'warm ms':>8} {'warm CPU':>8} {'bytes':>8}"
        )
        for name, extra, prefix in caches:
            try:
                for number in range(1, args.workers + 1):
                    out = subprocess.run(
                        [python, __file__, "--worker", token, prefix],
                        cwd=ROOT,
                        env={**env, **extra},
                        check=True,
                        stdout=subprocess.PIPE,
                        text=True,
                    ).stdout
                    result = json.loads(out)
                    (first, first_cpu), *rest = result["times"]
                    warm = statistics.median(t for t, _ in rest)
                    warm_cpu = statistics.median(c for _, c in rest)
                    print(
                        f"{name:<7} {number:>6} {first:>9.1f} {first_cpu:>9.1f} {warm:>8.1f} {warm_cpu:>8.1f}"
                        f" {result['bytes']:>8}"
                    )
            finally:
                if prefix:
                    remove_keys(url, prefix)


if __name__ == "__main__":
    main()
