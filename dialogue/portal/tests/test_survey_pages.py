import datetime
import re

import pytest

from dialogue.core import clock
from dialogue.cycles.services import cycle_save
from dialogue.members.models import Member, Person
from dialogue.members.tests.factories import (
    MemberFactory,
    ObserverOrganizationFactory,
    PersonFactory,
)
from dialogue.surveys import services
from dialogue.surveys.models import Question, Response, ResponseVersion, Survey

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _survey(staff, *, audience=Survey.Audience.MEMBERS_AND_OBSERVERS, year=2026, **publish):
    """A published survey with one question of each kind, open from yesterday for a week.

    Question 1 chooses one of three options, question 2 up to two of four, question 3
    ranks up to three of four (an answer is not required).
    """
    now = clock.now()
    cycle = cycle_save(actor=staff, data={"year": year})
    survey = services.survey_create(
        actor=staff,
        cycle=cycle,
        data={
            "title_en": f"Choice of the theme {year}",
            "title_fr": f"Choix du thème {year}",
            "introduction_en": "Please answer for your delegation.",
            "audience": audience,
        },
    )
    services.question_add(
        actor=staff,
        survey=survey,
        text={"en": "Which theme?", "fr": "Quel thème ?"},
        kind=Question.Kind.CHOOSE_ONE,
        method=Question.Method.PLURALITY,
        options=[{"label_en": f"Theme {n}", "label_fr": f"Thème {n}"} for n in "ABC"],
    )
    services.question_add(
        actor=staff,
        survey=survey,
        text={"en": "Which two workshop topics?"},
        kind=Question.Kind.CHOOSE_UP_TO,
        method=Question.Method.APPROVAL,
        max_choices=2,
        options=[{"label_en": f"Topic {n}"} for n in "ABCD"],
    )
    services.question_add(
        actor=staff,
        survey=survey,
        text={"en": "Rank the venues."},
        kind=Question.Kind.RANK,
        method=Question.Method.BORDA,
        max_choices=3,
        required=False,
        options=[{"label_en": f"Venue {n}"} for n in "ABCD"],
    )
    publish.setdefault("opens_at", now - DAY)
    publish.setdefault("closes_at", now + 7 * DAY)
    publish.setdefault("now", now)
    return services.survey_publish(actor=staff, survey=survey, **publish)


def _options(survey):
    """The option ids of each question, in order: [[q1 options], [q2 options], [q3 options]]."""
    return [
        list(q.options.order_by("position").values_list("id", flat=True))
        for q in survey.questions.order_by("position")
    ]


def _answer(survey, one=0, up_to=(0, 1), ranked=(2, 0), **extra):
    """POST data choosing option indexes in each question, based on no earlier answer."""
    q1, q2, q3 = survey.questions.order_by("position")
    o1, o2, o3 = _options(survey)
    data = {"based_on": "0", "comment": ""}
    if one is not None:
        data[f"question_{q1.pk}"] = str(o1[one])
    data[f"question_{q2.pk}"] = [str(o2[i]) for i in up_to]
    for rank, index in enumerate(ranked, start=1):
        data[f"question_{q3.pk}_rank_{rank}"] = str(o3[index])
    data.update(extra)
    return data


def _url(name, survey):
    return f"/en/portal/surveys/{survey.pk}/{name + '/' if name else ''}"


def _submit(client, survey, data):
    return client.post(_url("", survey), data)


# --- who may see the pages ----------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login(client, staff_user):
    survey = _survey(staff_user)
    for url in ("/en/portal/surveys/", *(_url(n, survey) for n in ("", "receipt", "results"))):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/en/portal/login/?next=")


def test_staff_without_a_person_cannot_answer_for_a_delegation(client, staff_user):
    survey = _survey(staff_user)
    client.force_login(staff_user)
    for url in ("/en/portal/surveys/", *(_url(n, survey) for n in ("", "receipt", "results"))):
        assert client.get(url).status_code == 403
    assert client.post(_url("", survey), _answer(survey)).status_code == 403
    assert Response.objects.count() == 0


def test_an_inactive_delegate_is_refused(client, staff_user, delegate):
    survey = _survey(staff_user)
    Person.objects.filter(pk=delegate.pk).update(is_active=False)
    client.force_login(delegate.user)
    assert client.get("/en/portal/surveys/").status_code == 403
    assert client.get(_url("", survey)).status_code == 403
    assert client.post(_url("", survey), _answer(survey)).status_code == 403
    assert Response.objects.count() == 0


def test_an_observer_does_not_see_a_member_states_only_survey(client, staff_user):
    survey = _survey(staff_user, audience=Survey.Audience.MEMBER_STATES)
    observer = PersonFactory(delegation=ObserverOrganizationFactory(), with_account=True)
    client.force_login(observer.user)
    assert "Choice of the theme" not in client.get("/en/portal/surveys/").content.decode()
    for name in ("", "receipt", "results"):
        assert client.get(_url(name, survey)).status_code == 404
    assert client.post(_url("", survey), _answer(survey)).status_code == 404
    assert Response.objects.count() == 0


def test_a_draft_survey_is_not_found(client, staff_user, delegate):
    cycle = cycle_save(actor=staff_user, data={"year": 2030})
    draft = services.survey_create(actor=staff_user, cycle=cycle, data={"title_en": "Draft"})
    client.force_login(delegate.user)
    assert client.get(_url("", draft)).status_code == 404


def test_another_delegation_never_sees_our_answer_or_receipt(client, staff_user, delegate):
    survey = _survey(staff_user)
    client.force_login(delegate.user)
    assert _submit(client, survey, _answer(survey, comment="Our position")).status_code == 302
    ours = Response.objects.get()
    stranger = PersonFactory(
        delegation=MemberFactory(code="ARG", name_en="Argentina"), with_account=True
    )
    client.force_login(stranger.user)
    assert client.get(_url("receipt", survey)).status_code == 404
    page = client.get(_url("", survey)).content.decode()
    assert ours.receipt not in page
    assert "Our position" not in page
    assert "replaces the one given by" not in page
    assert "checked" not in page


# --- answering ----------------------------------------------------------------------


def test_a_delegate_answers_every_kind_of_question(client, staff_user, delegate):
    survey = _survey(staff_user)
    q1, q2, q3 = survey.questions.order_by("position")
    o1, o2, o3 = _options(survey)
    client.force_login(delegate.user)
    page = client.get(_url("", survey)).content.decode()
    assert "Please answer for your delegation." in page
    assert "Which two workshop topics?" in page
    response = _submit(client, survey, _answer(survey, one=1, up_to=(0, 3), ranked=(2, 0)))
    assert response.status_code == 302
    assert response["Location"] == _url("receipt", survey)
    stored = Response.objects.get()
    assert stored.member == delegate.delegation
    assert stored.submitted_by == delegate.user
    assert stored.channel == Response.Channel.PORTAL
    assert stored.version == 1
    answers = {(a.question_id, a.option_id): a.rank for a in stored.answers.all()}
    assert answers == {
        (q1.pk, o1[1]): 1,
        (q2.pk, o2[0]): 1,
        (q2.pk, o2[3]): 2,
        (q3.pk, o3[2]): 1,
        (q3.pk, o3[0]): 2,
    }


def test_a_ranking_may_stop_before_the_last_choice(client, staff_user, delegate):
    survey = _survey(staff_user)
    q3 = survey.questions.get(position=3)
    client.force_login(delegate.user)
    assert _submit(client, survey, _answer(survey, ranked=(3,))).status_code == 302
    ranks = list(
        Response.objects.get().answers.filter(question=q3).values_list("option_id", "rank")
    )
    assert ranks == [(_options(survey)[2][3], 1)]


def test_changing_the_answer_makes_version_two_of_the_one_response(
    client, staff_user, delegate, focal_point
):
    survey = _survey(staff_user)
    client.force_login(focal_point.user)
    _submit(client, survey, _answer(survey, one=0))
    client.force_login(delegate.user)
    page = client.get(_url("", survey)).content.decode()
    assert f"replaces the one given by {focal_point.full_name}" in page
    assert 'name="based_on" value="1"' in page
    assert re.search(r'value="\d+"[^>]*checked', page), "the form shows the current answer"
    response = _submit(client, survey, _answer(survey, one=2, based_on="1"))
    assert response.status_code == 302
    stored = Response.objects.get()
    assert stored.version == 2
    assert stored.submitted_by == delegate.user
    assert ResponseVersion.objects.filter(survey=survey).count() == 2
    receipt = client.get(_url("receipt", survey)).content.decode()
    assert stored.receipt in receipt
    assert "Theme C" in receipt


def test_an_answer_based_on_an_older_version_is_not_applied(
    client, staff_user, delegate, focal_point
):
    survey = _survey(staff_user)
    client.force_login(focal_point.user)
    _submit(client, survey, _answer(survey, one=0))
    client.force_login(delegate.user)
    response = _submit(client, survey, _answer(survey, one=2, based_on="0"))
    assert response.status_code == 400
    assert "was changed by" in response.content.decode()
    assert Response.objects.get().version == 1


def test_a_repeated_submission_of_the_same_answer_is_recorded_once(client, staff_user, delegate):
    survey = _survey(staff_user)
    client.force_login(delegate.user)
    data = _answer(survey, comment="Same text")
    assert _submit(client, survey, data).status_code == 302
    again = _submit(client, survey, data)
    assert again.status_code == 302
    assert again["Location"] == _url("receipt", survey)
    assert Response.objects.get().version == 1


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("more_than_k", "at most 2"),
        ("repeated_in_ranking", "more than once"),
        ("option_of_another_survey", "not one of the available choices"),
        ("required_missing", "This field is required."),
        ("ranking_with_a_gap", "without leaving gaps"),
        ("not_a_number", "not one of the available choices"),
        ("nul_byte_in_the_comment", "Null characters are not allowed."),
        ("comment_too_long", "at most 5000 characters"),
    ],
)
def test_bad_answers_show_an_error_and_store_nothing(client, staff_user, delegate, case, message):
    survey = _survey(staff_user)
    other = _survey(staff_user, year=2027)
    q1, _q2, q3 = survey.questions.order_by("position")
    cases = {
        "more_than_k": lambda: _answer(survey, up_to=(0, 1, 2)),
        "repeated_in_ranking": lambda: _answer(survey, ranked=(1, 1)),
        "option_of_another_survey": lambda: _answer(
            survey, **{f"question_{q1.pk}": str(_options(other)[0][0])}
        ),
        "required_missing": lambda: _answer(survey, one=None),
        "ranking_with_a_gap": lambda: _answer(
            survey, ranked=(0,), **{f"question_{q3.pk}_rank_3": str(_options(survey)[2][3])}
        ),
        "not_a_number": lambda: _answer(survey, **{f"question_{q1.pk}": "1e309"}),
        "nul_byte_in_the_comment": lambda: _answer(survey, comment="Yes\x00"),
        "comment_too_long": lambda: _answer(survey, comment="x" * 1_000_000),
    }
    data = cases[case]()
    client.force_login(delegate.user)
    response = _submit(client, survey, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Response.objects.count() == 0
    assert ResponseVersion.objects.count() == 0


def test_an_answer_after_the_close_is_refused(client, staff_user, delegate):
    survey = _survey(staff_user)
    services.survey_close(actor=staff_user, survey=survey)
    client.force_login(delegate.user)
    page = client.get(_url("", survey)).content.decode()
    assert "This survey is closed" in page
    assert '<form method="post" novalidate>' not in page
    response = _submit(client, survey, _answer(survey))
    assert response.status_code == 400
    assert "no response can be accepted" in response.content.decode()
    assert Response.objects.count() == 0


def test_an_answer_after_the_closing_time_is_refused_before_staff_close_it(
    client, staff_user, delegate
):
    past = clock.now() - 10 * DAY
    survey = _survey(staff_user, opens_at=past, closes_at=past + DAY, now=past)
    assert survey.status == Survey.Status.OPEN
    client.force_login(delegate.user)
    response = _submit(client, survey, _answer(survey))
    assert response.status_code == 400
    assert "no response can be accepted" in response.content.decode()
    assert Response.objects.count() == 0


def test_forged_delegation_survey_and_time_fields_are_ignored(client, staff_user, delegate):
    survey = _survey(staff_user)
    other_survey = _survey(staff_user, year=2027)
    other_member = MemberFactory(code="ARG", name_en="Argentina")
    before = clock.now()
    client.force_login(delegate.user)
    forged = {
        "member": str(other_member.pk),
        "member_id": str(other_member.pk),
        "survey": str(other_survey.pk),
        "submitted_at": "2000-01-01T00:00:00Z",
        "submitted_by": str(staff_user.pk),
        "version": "7",
        "channel": "written",
    }
    response = _submit(client, survey, {**_answer(survey), **forged})
    assert response.status_code == 302
    stored = Response.objects.get()
    assert stored.member == delegate.delegation
    assert stored.survey == survey
    assert stored.submitted_by == delegate.user
    assert stored.submitted_at >= before
    assert stored.version == 1
    assert stored.channel == Response.Channel.PORTAL


def test_html_in_an_option_label_is_shown_as_text(client, staff_user, delegate):
    cycle = cycle_save(actor=staff_user, data={"year": 2031})
    survey = services.survey_create(
        actor=staff_user, cycle=cycle, data={"title_en": "<b>Bold</b> survey"}
    )
    services.question_add(
        actor=staff_user,
        survey=survey,
        text={"en": "<i>Which</i>?"},
        kind=Question.Kind.CHOOSE_ONE,
        method=Question.Method.PLURALITY,
        options=[{"label_en": "<script>alert(1)</script>"}, {"label_en": "<img src=x>"}],
    )
    now = clock.now()
    services.survey_publish(
        actor=staff_user, survey=survey, opens_at=now - DAY, closes_at=now + DAY, now=now
    )
    question = survey.questions.get()
    option = question.options.get(position=1)
    client.force_login(delegate.user)
    page = client.get(_url("", survey)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x>" not in page
    assert "<b>Bold</b>" not in page
    _submit(client, survey, {"based_on": "0", f"question_{question.pk}": str(option.pk)})
    receipt = client.get(_url("receipt", survey)).content.decode()
    assert "<script>alert(1)</script>" not in receipt
    assert "&lt;script&gt;" in receipt


def test_the_page_language_is_used_with_english_marked_as_fallback(client, staff_user, delegate):
    survey = _survey(staff_user)
    client.force_login(delegate.user)
    page = client.get(f"/fr/portal/surveys/{survey.pk}/").content.decode()
    assert "Choix du thème 2026" in page
    assert "Quel thème ?" in page
    assert "Thème A" in page
    assert '<span lang="en">Which two workshop topics?</span>' in page
    assert '<div class="introduction" lang="en">' in page


# --- receipt and results ------------------------------------------------------------


def test_the_receipt_shows_the_stored_answer_and_its_fingerprint(client, staff_user, delegate):
    survey = _survey(staff_user)
    client.force_login(delegate.user)
    assert client.get(_url("receipt", survey)).status_code == 404
    _submit(client, survey, _answer(survey, one=1, up_to=(3,), ranked=(2, 0)))
    stored = Response.objects.get()
    page = client.get(_url("receipt", survey)).content.decode()
    assert stored.receipt in page
    assert stored.fingerprint in page
    assert re.fullmatch(r"[0-9a-f]{64}", stored.fingerprint)
    assert delegate.full_name in page
    for label in ("Theme B", "Topic D", "Venue C", "Venue A"):
        assert label in page
    assert page.index("Venue C") < page.index("Venue A")
    assert "list of the fingerprints" in page


def test_results_are_hidden_until_published_then_show_the_own_fingerprint(
    client, staff_user, delegate
):
    survey = _survey(staff_user)
    client.force_login(delegate.user)
    _submit(client, survey, _answer(survey))
    assert client.get(_url("results", survey)).status_code == 404
    services.survey_close(actor=staff_user, survey=survey)
    assert client.get(_url("results", survey)).status_code == 404
    assert "See the results" not in client.get("/en/portal/surveys/").content.decode()
    services.survey_publish_results(actor=staff_user, survey=survey)
    listing = client.get("/en/portal/surveys/").content.decode()
    assert _url("results", survey) in listing
    response = client.get(_url("results", survey))
    assert response.status_code == 200
    page = response.content.decode()
    fingerprint = Response.objects.get().fingerprint
    assert f"Your response (fingerprint {fingerprint}) is in the list of counted responses." in page
    assert page.count(fingerprint) >= 2


def test_an_observers_response_is_reported_as_recorded_separately(client, staff_user):
    survey = _survey(staff_user)
    observer = PersonFactory(delegation=ObserverOrganizationFactory(), with_account=True)
    client.force_login(observer.user)
    assert _submit(client, survey, _answer(survey)).status_code == 302
    services.survey_close(actor=staff_user, survey=survey)
    services.survey_publish_results(actor=staff_user, survey=survey)
    page = client.get(_url("results", survey)).content.decode()
    assert "recorded and reported separately" in page
    assert "is in the list of counted responses" not in page


# --- lists and times ----------------------------------------------------------------


def test_the_home_page_and_the_survey_list_show_open_surveys(client, staff_user, delegate):
    survey = _survey(staff_user)
    client.force_login(delegate.user)
    home = client.get("/en/portal/").content.decode()
    assert "Choice of the theme 2026" in home
    assert f'href="{_url("", survey)}"' in home
    listing = client.get("/en/portal/surveys/").content.decode()
    assert "Not answered yet" in listing
    _submit(client, survey, _answer(survey))
    listing = client.get("/en/portal/surveys/").content.decode()
    assert f"Answered: version 1, by {delegate.full_name}" in listing


@pytest.mark.parametrize(
    ("zone", "local"),
    [
        (
            "Pacific/Kiritimati",
            "1 March 2099, 23:00 in your time zone (Pacific/Kiritimati, UTC+14:00)",
        ),
        (
            "Pacific/Pago_Pago",
            "28 February 2099, 22:00 in your time zone (Pacific/Pago_Pago, UTC-11:00)",
        ),
    ],
)
def test_the_deadline_is_shown_in_geneva_time_and_in_the_persons_zone(
    client, staff_user, delegate, zone, local
):
    closes_at = datetime.datetime(2099, 3, 1, 9, 0, tzinfo=datetime.UTC)
    survey = _survey(staff_user, closes_at=closes_at)
    Person.objects.filter(pk=delegate.pk).update(time_zone=zone)
    client.force_login(delegate.user)
    page = client.get(_url("", survey)).content.decode()
    stamp = re.search(r'<time datetime="([^"]+)">(.*?)</time>', page)
    assert datetime.datetime.fromisoformat(stamp.group(1)) == survey.closes_at
    assert "1 March 2099, 10:00 Geneva time" in stamp.group(2)
    assert local in stamp.group(2)
    assert _submit(client, survey, _answer(survey)).status_code == 302


def test_a_person_in_geneva_sees_the_time_once(client, staff_user, delegate):
    closes_at = datetime.datetime(2099, 7, 1, 9, 0, tzinfo=datetime.UTC)
    survey = _survey(staff_user, closes_at=closes_at)
    client.force_login(delegate.user)
    page = client.get(_url("", survey)).content.decode()
    stamp = re.search(r'<time datetime="2099-07-01T09:00:00Z">(.*?)</time>', page).group(1)
    assert "11:00 Geneva time" in stamp
    assert "your time zone" not in stamp


def test_a_person_chooses_a_time_zone_in_the_profile(client, delegate):
    client.force_login(delegate.user)
    page = client.get("/en/portal/profile/").content.decode()
    assert '<option value="Pacific/Kiritimati">' in page
    response = client.post(
        "/en/portal/profile/", {"preferred_language": "en", "time_zone": "Pacific/Kiritimati"}
    )
    assert response.status_code == 302
    delegate.refresh_from_db()
    assert delegate.time_zone == "Pacific/Kiritimati"
    response = client.post(
        "/en/portal/profile/", {"preferred_language": "en", "time_zone": "Mars/Olympus_Mons"}
    )
    assert response.status_code == 400
    delegate.refresh_from_db()
    assert delegate.time_zone == "Pacific/Kiritimati"


def test_a_suspended_delegation_cannot_answer_whatever_the_form_says(client, staff_user, delegate):
    survey = _survey(staff_user)
    Member.objects.filter(pk=delegate.delegation_id).update(status=Member.Status.SUSPENDED)
    client.force_login(delegate.user)
    response = _submit(client, survey, _answer(survey, status="active"))
    assert response.status_code == 400
    assert "cannot respond" in response.content.decode()
    assert Response.objects.count() == 0
