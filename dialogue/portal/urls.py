from django.urls import path

from dialogue.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/set/<uidb64>/<token>/", views.PasswordSetView.as_view(), name="password_set"),
    path("password/set/done/", views.password_set_done, name="password_set_done"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.password_reset_sent, name="password_reset_sent"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("profile/", views.profile, name="profile"),
    path("delegation/", views.delegation, name="delegation"),
    path("delegation/add/", views.delegate_add, name="delegate_add"),
    path("delegation/<int:person_id>/<str:action>/", views.delegate_action, name="delegate_action"),
]
