import datetime
import re

import pytest
from django.core import mail

from dialogue.core import clock
from dialogue.core.models import AuditEntry
from dialogue.mail.models import Message
from dialogue.members.models import Person
from dialogue.members.tests.factories import MemberFactory, PersonFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def _login(client, person):
    assert client.login(username=person.user.email, password=PASSWORD)


def test_portal_requires_login(client):
    response = client.get("/en/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith("/en/portal/login/?next=")


def test_login_continues_in_the_persons_preferred_language(client, delegate):
    Person.objects.filter(pk=delegate.pk).update(preferred_language="es")
    response = client.post(
        "/en/portal/login/", {"username": delegate.user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/es/portal/"
    assert response.cookies["dialogue_language"].value == "es"
    assert AuditEntry.objects.filter(action="login", actor=delegate.user).count() == 1


def test_login_refuses_an_external_next(client, delegate):
    response = client.post(
        "/en/portal/login/?next=//evil.example/",
        {"username": delegate.user.email, "password": PASSWORD, "next": "//evil.example/"},
    )
    assert "evil.example" not in response["Location"]


def test_wrong_password_is_refused_and_audited(client, delegate):
    response = client.post("/en/portal/login/", {"username": delegate.user.email, "password": "x"})
    assert response.status_code == 400
    assert "did not match" in response.content.decode()
    assert AuditEntry.objects.filter(action="login_failed").count() == 1


def test_delegate_sees_their_delegation_but_cannot_manage_it(client, delegate, focal_point):
    _login(client, delegate)
    page = client.get("/en/portal/delegation/").content.decode()
    assert focal_point.full_name in page
    assert "Add a delegate" not in page
    assert client.get("/en/portal/delegation/add/").status_code == 403
    response = client.post(f"/en/portal/delegation/{focal_point.pk}/deactivate/")
    assert response.status_code == 403


def test_focal_point_adds_a_delegate_through_the_form(
    client, focal_point, django_capture_on_commit_callbacks
):
    _login(client, focal_point)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/en/portal/delegation/add/",
            {
                "given_name": "Juan",
                "family_name": "Pérez",
                "email": "juan.perez@mission.example.org",
                "gender": "male",
                "preferred_language": "es",
            },
        )
    assert response.status_code == 302
    person = Person.objects.get(email="juan.perez@mission.example.org")
    assert person.delegation == focal_point.delegation
    assert len(mail.outbox) == 1
    assert "/es/portal/password/set/" in mail.outbox[0].body


def test_invalid_delegate_form_shows_errors_and_stores_nothing(client, focal_point):
    _login(client, focal_point)
    response = client.post(
        "/en/portal/delegation/add/",
        {
            "given_name": "",
            "family_name": "X\x00",
            "email": "not-an-email",
            "gender": "male",
            "preferred_language": "xx",
        },
    )
    assert response.status_code == 400
    assert Person.objects.count() == 1
    page = response.content.decode()
    assert "This field is required." in page
    assert "Enter a valid email address." in page


def test_duplicate_email_is_shown_on_the_email_field(client, focal_point, delegate):
    _login(client, focal_point)
    response = client.post(
        "/en/portal/delegation/add/",
        {
            "given_name": "A",
            "family_name": "B",
            "email": delegate.email,
            "gender": "male",
            "preferred_language": "en",
        },
    )
    assert response.status_code == 400
    assert "already used by another person" in response.content.decode()


def test_focal_point_deactivates_and_removes_own_delegates(client, focal_point, delegate):
    _login(client, focal_point)
    assert client.post(f"/en/portal/delegation/{delegate.pk}/deactivate/").status_code == 302
    delegate.refresh_from_db()
    assert not delegate.is_active
    assert client.post(f"/en/portal/delegation/{delegate.pk}/remove/").status_code == 302
    delegate.refresh_from_db()
    assert delegate.delegation is None


def test_another_delegations_person_is_not_found(client, focal_point):
    stranger = PersonFactory(delegation=MemberFactory(code="ARG", name_en="Argentina"))
    _login(client, focal_point)
    for action in ("deactivate", "reactivate", "remove"):
        response = client.post(f"/en/portal/delegation/{stranger.pk}/{action}/")
        assert response.status_code == 404
    stranger.refresh_from_db()
    assert stranger.is_active and stranger.delegation is not None


def test_deactivation_needs_post(client, focal_point, delegate):
    _login(client, focal_point)
    assert client.get(f"/en/portal/delegation/{delegate.pk}/deactivate/").status_code == 405
    delegate.refresh_from_db()
    assert delegate.is_active


def test_removal_is_confirmed_before_it_is_done(client, focal_point, delegate):
    _login(client, focal_point)
    page = client.get(f"/en/portal/delegation/{delegate.pk}/remove/")
    assert page.status_code == 200
    assert f"Remove {delegate.full_name} from the delegation" in page.content.decode()
    delegate.refresh_from_db()
    assert delegate.delegation is not None


def test_plain_delegate_cannot_open_the_removal_page(client, delegate, focal_point):
    _login(client, delegate)
    assert client.get(f"/en/portal/delegation/{focal_point.pk}/remove/").status_code == 403


def test_unknown_action_is_not_found(client, focal_point, delegate):
    _login(client, focal_point)
    assert client.post(f"/en/portal/delegation/{delegate.pk}/promote/").status_code == 404


def test_invitation_link_sets_a_password_once(
    client, focal_point, django_capture_on_commit_callbacks
):
    _login(client, focal_point)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/en/portal/delegation/add/",
            {
                "given_name": "Ana",
                "family_name": "Silva",
                "email": "ana@mission.example.org",
                "gender": "female",
                "preferred_language": "en",
            },
        )
    client.logout()
    link = re.search(r"http://[^\s]+/password/set/[^\s]+", mail.outbox[0].body).group(0)
    path = link.split("8000", 1)[-1] if "8000" in link else link
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    new_password = "a-long-and-unusual-password-2007"
    response = client.post(set_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    assert client.login(username="ana@mission.example.org", password=new_password)
    entry = AuditEntry.objects.get(note="set from an e-mailed link")
    assert entry.object_repr == "ana@mission.example.org"
    assert new_password not in str(entry.changes)
    client.logout()
    again = client.get(path, follow=True)
    assert "not valid" in again.content.decode()


def test_profile_language_change_is_remembered(client, delegate):
    _login(client, delegate)
    response = client.post("/en/portal/profile/", {"preferred_language": "fr"})
    assert response.status_code == 302
    assert response.cookies["dialogue_language"].value == "fr"
    delegate.refresh_from_db()
    assert delegate.preferred_language == "fr"


def test_language_switcher_remembers_a_logged_in_persons_choice(client, delegate):
    _login(client, delegate)
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/en/portal/"})
    assert response.status_code == 302
    assert response["Location"] == "/es/portal/"
    delegate.refresh_from_db()
    assert delegate.preferred_language == "es"


def test_staff_without_a_person_sees_the_staff_link(client, staff_user):
    client.force_login(staff_user)
    page = client.get("/en/portal/").content.decode()
    assert "/en/staff/" in page
    assert client.get("/en/portal/delegation/").status_code == 403


def test_password_reset_link_uses_the_configured_site_not_the_host_header(
    client, delegate, settings
):
    settings.SITE_URL = "https://dialogue.example.org"
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    response = client.post(
        "/en/portal/password/reset/", {"email": delegate.email}, HTTP_HOST="evil.example"
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "https://dialogue.example.org/en/portal/password/set/" in body, body
    assert "evil.example" not in mail.outbox[0].body


def test_password_reset_does_not_reveal_unknown_addresses(client):
    response = client.post("/en/portal/password/reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 0


def test_password_change_is_audited(client, delegate):
    _login(client, delegate)
    new_password = "another-long-unusual-password-2008"
    response = client.post(
        "/en/portal/password/change/",
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302
    assert AuditEntry.objects.filter(note="changed in the portal", actor=delegate.user).exists()


def test_a_password_reset_link_leaves_through_the_outbox_and_is_not_kept(client, delegate):
    response = client.post("/en/portal/password/reset/", {"email": delegate.email})

    assert response.status_code == 302
    (sent,) = mail.outbox
    link = re.search(r"https?://\S+/password/set/\S+", sent.body).group(0)
    message = Message.objects.get(kind=Message.Kind.PASSWORD_RESET)
    assert (message.status, message.to) == ("sent", delegate.email)
    assert link not in message.body
    assert "[personal link, removed once sent]" in message.body


def test_password_reset_requests_for_one_account_send_one_e_mail_every_two_minutes(
    client, delegate, at
):
    start = clock.now()
    for _attempt in range(5):
        response = client.post("/en/portal/password/reset/", {"email": delegate.email})
        assert response["Location"].endswith("/portal/password/reset/sent/")
    at(start + datetime.timedelta(minutes=2, seconds=1))
    client.post("/en/portal/password/reset/", {"email": delegate.email})

    assert len(mail.outbox) == 2
    assert Message.objects.filter(kind=Message.Kind.PASSWORD_RESET).count() == 2


def test_a_password_reset_that_fails_to_send_is_kept_for_a_retry(client, delegate, settings):
    settings.EMAIL_BACKEND = "dialogue.mail.testing.RefusingBackend"
    client.post("/en/portal/password/reset/", {"email": delegate.email})

    message = Message.objects.get(kind=Message.Kind.PASSWORD_RESET)
    assert message.status == "queued"
    assert message.next_attempt_at is not None
    assert "/password/set/" in message.body
