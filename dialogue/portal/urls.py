from django.urls import include, path

from dialogue.portal import event_views, feed_views, survey_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("login/code/", views.second_factor, name="second_factor"),
    path("login/authenticator/", views.second_factor_enrol, name="second_factor_enrol"),
    path(
        "login/authenticator/<str:token>/",
        views.second_factor_enrol_link,
        name="second_factor_enrol_link",
    ),
    path("password/set/<uidb64>/<token>/", views.PasswordSetView.as_view(), name="password_set"),
    path("password/set/done/", views.password_set_done, name="password_set_done"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.password_reset_sent, name="password_reset_sent"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("profile/", views.profile, name="profile"),
    path("tokens/", include("dialogue.portal.token_urls")),
    path("delegation/", views.delegation, name="delegation"),
    path("delegation/add/", views.delegate_add, name="delegate_add"),
    path("delegation/<int:person_id>/<str:action>/", views.delegate_action, name="delegate_action"),
    path("surveys/", survey_views.surveys, name="surveys"),
    path("surveys/<int:pk>/", survey_views.survey, name="survey"),
    path("surveys/<int:pk>/receipt/", survey_views.survey_receipt, name="survey_receipt"),
    path("surveys/<int:pk>/results/", survey_views.survey_results, name="survey_results"),
    path("events/", event_views.events, name="events"),
    path("events/<int:pk>/", event_views.event, name="event"),
    path("events/<int:pk>/register/", event_views.event_register, name="event_register"),
    path(
        "events/<int:pk>/register/delegation/",
        event_views.event_register_delegation,
        name="event_register_delegation",
    ),
    path(
        "registrations/<int:pk>/cancel/",
        event_views.registration_cancel,
        name="registration_cancel",
    ),
    path("invitation/<str:token>/", event_views.invitation, name="invitation"),
    path("events/calendar/", feed_views.calendar_page, name="calendar"),
    path("events/feed/<token>.ics", feed_views.delegation_feed, name="delegation_feed"),
]
