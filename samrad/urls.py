from django.contrib import admin
from django.urls import include, path

from coordination.views import pages

urlpatterns = [
    # The admin logs in through the app's own login, so its lockout and two-factor step apply there too;
    # a logged-in user who is not an administrator is refused there rather than sent round in a loop.
    path("admin/login/", pages.admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("", include("coordination.urls")),
]

handler500 = "coordination.views.pages.server_error"
