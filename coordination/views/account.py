"""The user's own things: logging in with their language, choosing a language, the calendar feed."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from ..models import Profile


class LoginView(auth_views.LoginView):
    """Django's login, which then shows the app in the language the user chose before."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        profile = Profile.objects.filter(user=form.get_user()).first()
        if profile:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, profile.language, samesite="Lax")
        return response


@require_POST
def choose_language(request):
    """Django's set_language, remembered on the account so mail and the next login use it too."""
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        Profile.objects.update_or_create(user=request.user, defaults={"language": language})
    return set_language(request)
