from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    # The admin logs in through the app's own login, so its lockout and two-factor step apply there too.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True), name="admin_login"),
    path("admin/", admin.site.urls),
    path("", include("coordination.urls")),
]

handler500 = "coordination.views.pages.server_error"
