from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.my_meetings, name="my_meetings"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("meetings/new/", views.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/open/", views.open_polling, name="open_polling"),
    path("meetings/<int:pk>/slots/new/", views.propose_slots, name="propose_slots"),
    path("meetings/<int:pk>/slots/<int:slot_pk>/withdraw/", views.withdraw_slot, name="withdraw_slot"),
    path("meetings/<int:pk>/slots/<int:slot_pk>/confirm/", views.confirm, name="confirm"),
    path("meetings/<int:pk>/answers/<int:party_pk>/", views.answer, name="answer"),
    path("meetings/<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("meetings/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("meetings/<int:pk>/held/", views.mark_held, name="mark_held"),
    path("meetings/<int:pk>/attendees/<int:party_pk>/new/", views.attendee_create, name="attendee_create"),
    path("meetings/<int:pk>/attendees/<int:attendee_pk>/remove/", views.attendee_remove, name="attendee_remove"),
    path("meetings/<int:pk>/attendees/<int:attendee_pk>/confirm/", views.attendee_confirm, name="attendee_confirm"),
    path("meetings/<int:pk>/log/", views.event_log, name="event_log"),
    path("meetings/<int:pk>/samrad.ics", views.meeting_ics, name="meeting_ics"),
]
