"""URLs of the staff pages of events, funding and participants, in the "staff" namespace
(under events/)."""

from django.urls import path

from dialogue.staff import event_views as views
from dialogue.staff import invitation_views

urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("add/", views.event_create, name="event_create"),
    path("<int:pk>/", views.event_detail, name="event_detail"),
    path("<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("<int:pk>/new-session/", views.event_new_session, name="event_new_session"),
    path("<int:pk>/seek-funding/", views.event_seek_funding, name="event_seek_funding"),
    path("<int:pk>/confirm/", views.event_confirm, name="event_confirm"),
    path("<int:pk>/postpone/", views.event_postpone, name="event_postpone"),
    path("<int:pk>/cancel/", views.event_cancel, name="event_cancel"),
    path("<int:pk>/outcome/", views.event_record_outcome, name="event_record_outcome"),
    path("<int:pk>/budget/add/", views.budget_line_add, name="budget_line_add"),
    path("budget-lines/<int:pk>/edit/", views.budget_line_edit, name="budget_line_edit"),
    path("<int:pk>/pledges/add/", views.pledge_record, name="pledge_record"),
    path("pledges/<int:pk>/received/", views.pledge_mark_received, name="pledge_mark_received"),
    path("pledges/<int:pk>/withdraw/", views.pledge_withdraw, name="pledge_withdraw"),
    path("funding/", views.funding_overview, name="funding_overview"),
    path("funding/exchange-rates/", views.funding_rates, name="funding_rates"),
    path("<int:pk>/participants/", views.participants_list, name="participants_list"),
    path(
        "<int:pk>/participants.csv",
        views.participants_download,
        {"file_format": "csv"},
        name="participants_csv",
    ),
    path(
        "<int:pk>/participants.xlsx",
        views.participants_download,
        {"file_format": "xlsx"},
        name="participants_xlsx",
    ),
    path(
        "<int:pk>/sign-in-sheet.pdf",
        views.participants_download,
        {"file_format": "sign-in-sheet"},
        name="participants_sign_in_sheet",
    ),
    path(
        "<int:pk>/badges.pdf",
        views.participants_download,
        {"file_format": "badges"},
        name="participants_badges",
    ),
    path("<int:pk>/invitations/", invitation_views.invitation_list, name="invitation_list"),
    path(
        "<int:pk>/invitations/membership/",
        invitation_views.event_invite_membership,
        name="event_invite_membership",
    ),
    path(
        "<int:pk>/invitations/members/",
        invitation_views.event_invite_members,
        name="event_invite_members",
    ),
    path(
        "<int:pk>/invitations/organizations/",
        invitation_views.event_invite_organizations,
        name="event_invite_organizations",
    ),
    path(
        "<int:pk>/invitations/persons/",
        invitation_views.event_invite_persons,
        name="event_invite_persons",
    ),
    path(
        "invitations/<int:pk>/resend/",
        invitation_views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "<int:pk>/registrations/add/",
        invitation_views.registration_create,
        name="registration_create",
    ),
    path(
        "registrations/<int:pk>/approve/",
        invitation_views.registration_approve,
        name="registration_approve",
    ),
    path(
        "registrations/<int:pk>/reject/",
        invitation_views.registration_reject,
        name="registration_reject",
    ),
    path(
        "registrations/<int:pk>/cancel/",
        invitation_views.registration_cancel,
        name="registration_cancel",
    ),
    path(
        "<int:pk>/waiting-list/promote/",
        invitation_views.event_waiting_list_promote,
        name="event_waiting_list_promote",
    ),
    path("<int:pk>/follow-up/", invitation_views.event_follow_up, name="event_follow_up"),
]
