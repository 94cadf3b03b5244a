"""The staff see outgoing e-mail, failed ones first with their error, and act on them."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from dialogue.core import clock
from dialogue.core.models import AuditEntry
from dialogue.mail import services
from dialogue.mail.models import Message
from dialogue.members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = "/en/staff/mail/"
DAY = datetime.timedelta(days=1)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def _queue(address="delegate@sen.example.org", subject="Survey: Choice of the theme", **kw):
    return services.queue(
        to=[address],
        subject=subject,
        body="Your personal link: https://dialogue.example.org/set/secret-token/",
        kind=kw.pop("kind", "survey_invitation"),
        **kw,
    )


def _failed(address="failed@sen.example.org", error="SMTPDataError: (451, b'Try again later')"):
    message = _queue(address, subject="Reminder: survey Choice of the theme")
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.FAILED, attempts=6, next_attempt_at=None, last_error=error
    )
    message.refresh_from_db()
    mail.outbox.clear()
    return message


def _page(response) -> str:
    return response.content.decode()


def test_the_mail_page_is_for_staff_only(client, delegate):
    assert client.get(LIST).status_code == 302
    client.force_login(delegate.user)
    assert client.get(LIST).status_code == 302


def test_failed_e_mails_come_first_with_their_last_error_and_actions(staff_client):
    sent = _queue("sent@sen.example.org")
    failed = _failed()

    page = _page(staff_client.get(LIST))

    assert page.index("failed@sen.example.org") < page.index("sent@sen.example.org")
    assert 'class="mail-failed"' in page
    assert "SMTPDataError: (451, b&#x27;Try again later&#x27;)" in page
    assert f'action="/en/staff/mail/{failed.pk}/send-again/"' in page
    assert f'action="/en/staff/mail/{sent.pk}/send-again/"' not in page
    assert "1 e-mail could not be sent after its last attempt." in page


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("?status=failed", "failed@sen.example.org", "sent@sen.example.org"),
        ("?kind=account_invitation", "account@sen.example.org", "sent@sen.example.org"),
        ("?recipient=ACCOUNT@sen", "account@sen.example.org", "failed@sen.example.org"),
    ],
)
def test_the_list_filters_by_status_kind_and_recipient(staff_client, query, shown, hidden):
    _queue("sent@sen.example.org")
    _queue("account@sen.example.org", kind="account_invitation")
    _failed()

    page = _page(staff_client.get(LIST + query))

    assert shown in page
    assert hidden not in page


def test_the_list_filters_by_the_day_queued(staff_client):
    _queue("yesterday@sen.example.org", now=clock.now() - DAY)
    _queue("today@sen.example.org")
    today = clock.now().date().isoformat()

    page = _page(staff_client.get(f"{LIST}?since={today}&until={today}"))

    assert "today@sen.example.org" in page
    assert "yesterday@sen.example.org" not in page


def test_a_bad_filter_is_a_400_with_its_message(staff_client):
    response = staff_client.get(LIST + "?since=yesterday&status=lost")
    assert response.status_code == 400
    assert "Enter a valid date." in _page(response)


def test_after_the_last_attempt_the_e_mail_is_failed_on_the_staff_pages_and_send_again_delivers(
    smtp_server, short_retries, staff_client, staff_user
):
    smtp_server.refuse_data = "451 4.3.0 Try again later"
    message = _queue()
    for _attempt in range(2):
        message.refresh_from_db()
        services.deliver(message.pk, now=message.next_attempt_at)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 3)
    assert "1 e-mail could not be sent." in _page(staff_client.get("/en/staff/"))
    assert "451 4.3.0 Try again later" in _page(staff_client.get(LIST + "?status=failed"))
    smtp_server.refuse_data = ""

    response = staff_client.post(f"/en/staff/mail/{message.pk}/send-again/", follow=True)

    assert "is queued again" in _page(response)
    (received,) = smtp_server.received
    assert received.rcpt_tos == ["delegate@sen.example.org"]
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)
    entry = AuditEntry.objects.get(object_type="mail.message", object_id=str(message.pk))
    assert entry.actor == staff_user
    assert entry.changes["status"] == ["failed", "queued"]
    assert "no e-mail could" not in _page(staff_client.get("/en/staff/")).lower()


def test_an_e_mail_that_did_not_fail_cannot_be_sent_again(staff_client):
    message = _queue()
    response = staff_client.post(f"/en/staff/mail/{message.pk}/send-again/", follow=True)
    assert "Only an e-mail that failed can be sent again." in _page(response)
    assert len(mail.outbox) == 1
    assert not AuditEntry.objects.filter(object_type="mail.message").exists()


def test_a_cancelled_e_mail_is_never_sent_and_the_cancel_is_audited(staff_client, staff_user):
    message = _failed()

    response = staff_client.post(f"/en/staff/mail/{message.pk}/cancel/", follow=True)

    assert "will not be sent" in _page(response)
    message.refresh_from_db()
    assert message.status == "cancelled"
    assert services.messages_retry_due(now=clock.now() + DAY) == 0
    assert mail.outbox == []
    entry = AuditEntry.objects.get(object_type="mail.message", object_id=str(message.pk))
    assert (entry.actor, entry.changes["status"]) == (staff_user, ["failed", "cancelled"])


def test_the_actions_take_only_posts_with_a_csrf_token(staff_user):
    message = _failed()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff_user)

    assert browser.get(f"/en/staff/mail/{message.pk}/send-again/").status_code == 405
    assert browser.post(f"/en/staff/mail/{message.pk}/send-again/").status_code == 403
    message.refresh_from_db()
    assert message.status == "failed"


def test_a_delegate_cannot_send_an_e_mail_again(client, delegate):
    message = _failed()
    client.force_login(delegate.user)
    client.post(f"/en/staff/mail/{message.pk}/send-again/")
    message.refresh_from_db()
    assert message.status == "failed"


def test_send_again_of_an_unknown_e_mail_is_a_404(staff_client):
    assert staff_client.post("/en/staff/mail/999999/send-again/").status_code == 404


def test_the_admin_lists_outgoing_e_mail_read_only_without_its_text(client):
    message = _failed()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    listing = client.get("/en/admin/mail/message/")
    detail = client.get(f"/en/admin/mail/message/{message.pk}/change/")

    assert "failed@sen.example.org" in _page(listing)
    assert detail.status_code == 200
    assert "Reminder: survey Choice of the theme" in _page(detail)
    assert "secret-token" not in _page(detail)


def test_the_retry_command_hands_due_e_mail_to_the_worker(smtp_server):
    message = _queue()
    smtp_server.received.clear()
    Message.objects.filter(pk=message.pk).update(
        status="queued", sent_at=None, next_attempt_at=clock.now()
    )
    out = io.StringIO()

    call_command("mail-retry", stdout=out)

    assert "1 e-mail(s) handed to the task worker." in out.getvalue()
    (received,) = smtp_server.received
    assert received.message["Message-ID"] == message.message_id
