"""URLs of the staff pages of the yearly cycle, in the "staff" namespace (under cycles/)."""

from django.urls import path

from dialogue.staff import cycle_views as views

urlpatterns = [
    path("", views.cycle_list, name="cycle_list"),
    path("add/", views.cycle_form, name="cycle_add"),
    path("<int:pk>/", views.cycle_detail, name="cycle_detail"),
    path("<int:pk>/edit/", views.cycle_form, name="cycle_edit"),
    path("<int:cycle_pk>/proposals/add/", views.proposal_form, name="proposal_add"),
    path("<int:cycle_pk>/consultations/add/", views.consultation_form, name="consultation_add"),
    path("<int:cycle_pk>/decisions/add/", views.decision_add, name="decision_add"),
    path("proposals/<int:pk>/edit/", views.proposal_form, name="proposal_edit"),
    path("proposals/<int:pk>/withdraw/", views.proposal_withdraw, name="proposal_withdraw"),
    path("proposals/<int:pk>/interest/", views.proposal_interest, name="proposal_interest"),
    path("proposals/<int:pk>/interest/add/", views.interest_add, name="interest_add"),
    path("interest/", views.interest_search, name="interest_search"),
    path("consultations/<int:pk>/edit/", views.consultation_form, name="consultation_edit"),
    path(
        "consultations/<int:pk>/outcome/",
        views.consultation_outcome,
        name="consultation_outcome",
    ),
    path(
        "consultations/<int:pk>/follow-up-survey/",
        views.consultation_follow_up_survey,
        name="consultation_follow_up_survey",
    ),
]
