from django.urls import path

from dialogue.mail import views

# Included by dialogue.staff.urls under "mail/", in the "staff" namespace.
urlpatterns = [
    path("", views.message_list, name="mail_list"),
    path("<int:pk>/send-again/", views.message_send_again, name="mail_send_again"),
    path("<int:pk>/cancel/", views.message_cancel, name="mail_cancel"),
]
