from django.contrib.auth import views as auth_views
from django.urls import path

from .views import account, agenda, meetings

urlpatterns = [
    path("", meetings.my_meetings, name="my_meetings"),
    path("login/", account.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", account.choose_language, name="choose_language"),
    path("meetings/new/", meetings.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", meetings.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/open/", meetings.open_polling, name="open_polling"),
    path("meetings/<int:pk>/slots/new/", meetings.propose_slots, name="propose_slots"),
    path("meetings/<int:pk>/slots/<int:slot_pk>/withdraw/", meetings.withdraw_slot, name="withdraw_slot"),
    path("meetings/<int:pk>/slots/<int:slot_pk>/confirm/", meetings.confirm, name="confirm"),
    path("meetings/<int:pk>/answers/<int:party_pk>/", meetings.answer, name="answer"),
    path("meetings/<int:pk>/reschedule/", meetings.reschedule, name="reschedule"),
    path("meetings/<int:pk>/cancel/", meetings.cancel, name="cancel"),
    path("meetings/<int:pk>/held/", meetings.mark_held, name="mark_held"),
    path("meetings/<int:pk>/attendees/<int:party_pk>/new/", meetings.attendee_create, name="attendee_create"),
    path("meetings/<int:pk>/attendees/<int:attendee_pk>/remove/", meetings.attendee_remove, name="attendee_remove"),
    path("meetings/<int:pk>/attendees/<int:attendee_pk>/confirm/", meetings.attendee_confirm, name="attendee_confirm"),
    path("meetings/<int:pk>/log/", meetings.event_log, name="event_log"),
    path("meetings/<int:pk>/samrad.ics", meetings.meeting_ics, name="meeting_ics"),
    path("meetings/<int:pk>/kallelse/", agenda.kallelse, name="kallelse"),
    path("meetings/<int:pk>/agenda/new/", agenda.agenda_item_create, name="agenda_item_create"),
    path("meetings/<int:pk>/agenda/<int:item_pk>/", agenda.agenda_item_detail, name="agenda_item_detail"),
    path("meetings/<int:pk>/agenda/<int:item_pk>/edit/", agenda.agenda_item_edit, name="agenda_item_edit"),
    path("meetings/<int:pk>/agenda/<int:item_pk>/accept/", agenda.agenda_item_accept, name="agenda_item_accept"),
    path("meetings/<int:pk>/agenda/<int:item_pk>/decline/", agenda.agenda_item_decline, name="agenda_item_decline"),
    path("meetings/<int:pk>/agenda/<int:item_pk>/up/", agenda.agenda_item_move, {"step": -1}, name="agenda_item_up"),
    path("meetings/<int:pk>/agenda/<int:item_pk>/down/", agenda.agenda_item_move, {"step": 1}, name="agenda_item_down"),
    path(
        "meetings/<int:pk>/agenda/<int:item_pk>/documents/new/",
        agenda.document_create,
        name="document_create",
    ),
    path(
        "meetings/<int:pk>/agenda/<int:item_pk>/positions/<int:party_pk>/",
        agenda.position_edit,
        name="position_edit",
    ),
    path("meetings/<int:pk>/positions/<int:position_pk>/share/", agenda.position_share, name="position_share"),
    path(
        "meetings/<int:pk>/positions/<int:position_pk>/withdraw/",
        agenda.position_withdraw,
        name="position_withdraw",
    ),
    path(
        "meetings/<int:pk>/positions/<int:position_pk>/versions/",
        agenda.position_versions,
        name="position_versions",
    ),
    path(
        "meetings/<int:pk>/positions/<int:position_pk>/documents/new/",
        agenda.position_document_create,
        name="position_document_create",
    ),
    path("meetings/<int:pk>/documents/<int:document_pk>/", agenda.document_download, name="document_download"),
    path(
        "meetings/<int:pk>/documents/<int:document_pk>/replace/",
        agenda.document_replace,
        name="document_replace",
    ),
]
