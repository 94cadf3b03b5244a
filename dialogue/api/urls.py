from django.urls import path

from dialogue.api.api import api

urlpatterns = [path("", api.urls)]
