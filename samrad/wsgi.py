import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samrad.settings")
application = get_wsgi_application()

if settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Django's Redis cache imports its client on the first cache call, about 70 ms: a worker pays that
    # while it starts, not on the first feed it serves.
    import redis  # noqa: F401
