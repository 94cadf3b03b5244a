from django.urls import path

from dialogue.staff import survey_views as views

# Included by dialogue.staff.urls under "surveys/", in the "staff" namespace.
urlpatterns = [
    path("", views.survey_list, name="survey_list"),
    path("new/", views.survey_create, name="survey_create"),
    path("<int:pk>/", views.survey_detail, name="survey_detail"),
    path("<int:pk>/edit/", views.survey_update, name="survey_update"),
    path("<int:pk>/questions/add/", views.survey_question_add, name="survey_question_add"),
    path(
        "<int:pk>/questions/<int:question_pk>/tie/",
        views.survey_tie_resolution,
        name="survey_tie_resolution",
    ),
    path("<int:pk>/weights/", views.survey_weight_set, name="survey_weight_set"),
    path("<int:pk>/emails/", views.survey_messages, name="survey_messages"),
    path(
        "<int:pk>/emails/<str:kind>/<str:language>/",
        views.survey_message_edit,
        name="survey_message_edit",
    ),
    path("<int:pk>/publish/", views.survey_publish, name="survey_publish"),
    path("<int:pk>/extend/", views.survey_extend, name="survey_extend"),
    path("<int:pk>/close/", views.survey_close, name="survey_close"),
    path(
        "<int:pk>/publish-results/",
        views.survey_publish_results,
        name="survey_publish_results",
    ),
    path("<int:pk>/turnout/", views.survey_turnout, name="survey_turnout"),
    path("<int:pk>/remind/", views.survey_remind, name="survey_remind"),
    path(
        "<int:pk>/responses/record/",
        views.survey_response_record,
        name="survey_response_record",
    ),
    path(
        "<int:pk>/responses/<int:member_pk>/letter/",
        views.survey_response_letter,
        name="survey_response_letter",
    ),
    path("<int:pk>/results/", views.survey_results, name="survey_results"),
    path("<int:pk>/responses.csv", views.survey_results_csv, name="survey_results_csv"),
]
