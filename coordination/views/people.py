"""A party's people: the "My party" page of its coordinators, a convener bringing in a new party, and the
activation link that lets a new person in."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import rules, sso
from ..forms import NewPartyForm, PersonInviteForm, RoleForm
from ..models import Membership, Party
from ..services import people
from ..services.base import RuleError
from .account import logged_in
from .common import form_page, get_meeting_for_user, meeting_url, require

Role = Membership.Role


@login_required
def party_people(request):
    """My party: the people of each party the user coordinates, with a way to invite, change and remove them."""
    party_ids = rules.managed_party_ids(rules.roles_of(request.user))
    require(party_ids)
    people_in_party = Membership.objects.select_related("user").order_by("user__first_name", "user__username")
    parties = Party.objects.filter(pk__in=party_ids).prefetch_related(Prefetch("memberships", queryset=people_in_party))
    return render(request, "coordination/party_people.html", {"parties": parties, "role_choices": Role.choices})


def _managed_party(request, party_pk):
    require(rules.can_manage_people_of(rules.roles_of(request.user), party_pk))
    return get_object_or_404(Party, pk=party_pk)


def _managed_membership(request, membership_pk):
    """A membership of a party the user manages; any other is a 404, so that nobody learns who is where."""
    party_ids = rules.managed_party_ids(rules.roles_of(request.user))
    return get_object_or_404(Membership.objects.select_related("user", "party"), pk=membership_pk, party__in=party_ids)


@login_required
def person_invite(request, party_pk):
    party = _managed_party(request, party_pk)
    form = PersonInviteForm(request.POST or None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            membership = people.invite_person(
                request=request,
                party=party,
                by=request.user,
                person=data["name"],
                email=data["email"],
                role=data["role"],
                title=data["title"],
            )
        except RuleError as error:
            form.add_error("email", str(error))
        else:
            if membership.user.has_usable_password():
                done = _("%(name)s is now in %(party)s and has been told by e-mail.")
            else:
                done = _("%(name)s has been sent a link to choose a password. The link works for %(days)d days.")
            messages.success(
                request, done % {"name": data["name"], "party": party.short_name, "days": people.ACTIVATION_DAYS}
            )
            return redirect("party_people")
    context = {
        "form": form,
        "heading": _("Invite a person to %(party)s") % {"party": party.name},
        "intro": _(
            "The person gets an e-mail. Someone new to Samråd gets a link to choose a password; someone who "
            "already has an account is told that they are in your party."
        ),
        "button": _("Send the invitation"),
        "back": reverse("party_people"),
    }
    return render(request, "registration/account_form.html", context)


@login_required
@require_POST
def membership_role(request, membership_pk):
    membership = _managed_membership(request, membership_pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles."))
        return redirect("party_people")
    try:
        people.change_role(request=request, membership=membership, by=request.user, role=form.cleaned_data["role"])
    except RuleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The role of %(name)s is changed.") % {"name": _name(membership)})
    return redirect("party_people")


@login_required
def membership_remove(request, membership_pk):
    membership = _managed_membership(request, membership_pk)
    name = _name(membership)
    if request.method == "POST":
        try:
            people.remove_person(request=request, membership=membership, by=request.user)
        except RuleError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("%(name)s is no longer in %(party)s.") % {"name": name, "party": membership.party.short_name}
            )
        return redirect("party_people")
    context = {
        "heading": _("Remove %(name)s from %(party)s") % {"name": name, "party": membership.party.name},
        "intro": _(
            "They lose access to the party's meetings at once, also where they are logged in now. What they have "
            "done stays in the event log."
        ),
        "button": _("Remove from the party"),
        "danger": True,
        "back": reverse("party_people"),
    }
    return render(request, "registration/account_form.html", context)


def _name(membership):
    return membership.user.get_full_name() or membership.user.get_username()


@login_required
def new_party(request, pk):
    """A convener invites a party new to Samråd, with the address of its first coordinator."""
    meeting, access = get_meeting_for_user(request, pk)
    require(rules.can_bring_in_new_party(access))
    form = NewPartyForm(request.POST or None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            people.bring_in_new_party(
                request=request,
                meeting=meeting,
                by=request.user,
                acting_party=access.acting_party(Role.COORDINATOR, convening=True),
                name=data["party_name"],
                short_name=data["short_name"],
                person=data["person"],
                email=data["email"],
                required=data["required"],
            )
        except RuleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("%(party)s is invited. Its coordinator has been sent a link to choose a password.")
                % {"party": data["party_name"]},
            )
            return redirect(meeting_url(meeting))
    return form_page(
        request,
        meeting,
        form,
        heading=_("Invite a party new to Samråd"),
        intro=_(
            "For an organisation that is not yet in Samråd. Its first coordinator gets a link by e-mail to choose "
            "a password, and then brings in the rest of the party."
        ),
        button=_("Invite the party"),
    )


class ActivateView(auth_views.PasswordResetConfirmView):
    """The link from the activation mail: the first password (Django's form and validators), then in.

    Where the person's organisation has single sign-on, the page offers it
    beside the password form, or instead of it when local passwords are off
    for SSO users (sso.password_refused).

    Django's view moves the token from the address into the session before the
    form is shown, so that it does not leak in a Referer. A link that does not
    work gets a page saying why, with a 4xx status: 410 when it is too old,
    400 when it has been used, the person removed, or it was changed.
    """

    token_generator = people.activation_tokens
    template_name = "registration/activate.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.validlink:
            context["sso_provider"] = sso.provider_for_email(self.user.email or "")
            context["password_refused"] = sso.password_refused(self.user) is not None
            context["landing_url"] = people.landing_url(self.user)
        return context

    def render_to_response(self, context, **kwargs):
        if not self.validlink:
            token = self.kwargs["token"]
            if token == self.reset_url_token:
                token = self.request.session.get(INTERNAL_RESET_SESSION_TOKEN)
            expired = self.token_generator.link_state(self.user, token) is people.LinkState.EXPIRED
            context = {**context, "expired": expired, "days": people.ACTIVATION_DAYS}
            kwargs["status"] = 410 if expired else 400
        return super().render_to_response(context, **kwargs)

    def form_valid(self, form):
        if sso.password_refused(form.user) is not None:
            # The page offers no password form then; a post made by hand gets the plain refusal.
            raise PermissionDenied
        response = super().form_valid(form)
        people.activated(self.request, form.user)
        messages.success(self.request, _("Welcome to Samråd. Your password is saved and you are logged in."))
        return logged_in(response, form.user)

    def get_success_url(self):
        return people.landing_url(self.user)
