"""Outgoing e-mail: queue in the caller's transaction, deliver with retries, let staff act.

Delivery guarantee: at least once. A message is marked `sending` (with a lease) before
it goes to the mail server and `sent` after the server accepted it. A worker that dies
in between leaves it `sending`; once the lease runs out the sweep queues it again, so it
is never lost, but it may arrive twice. It keeps its Message-ID on every attempt, so the
copies are recognisably the same e-mail. Exactly once is not possible over SMTP: the
server's acceptance and our record of it cannot be one transaction.
"""

import datetime
import html
import logging
import smtplib
from collections.abc import Iterable, Sequence
from email.headerregistry import Address
from email.utils import make_msgid, parseaddr
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import models, transaction
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task_backends

from dialogue.core import audit, clock
from dialogue.core.actors import require_staff
from dialogue.core.errors import DomainError
from dialogue.core.models import AuditEntry
from dialogue.mail.models import Attachment, Message
from dialogue.mail.rules import max_attempts, next_attempt, one_line, sending_lease

logger = logging.getLogger(__name__)

ERROR_LENGTH = 2000


def _recipient(recipient: str | tuple[str, str]) -> str:
    """One recipient as stored: a checked address, with its name made single-line."""
    name, address = recipient if isinstance(recipient, tuple) else ("", recipient)
    address = str(address).strip()
    try:
        validate_email(address)
    except ValidationError:
        raise DomainError(
            _("“%(address)s” is not an e-mail address.") % {"address": one_line(address)},
            field="to",
            code="bad_address",
        ) from None
    name = one_line(name)
    return str(Address(display_name=name, addr_spec=address)) if name else address


def _message_id() -> str:
    sender = parseaddr(str(settings.DEFAULT_FROM_EMAIL))[1]
    return make_msgid(domain=sender.rpartition("@")[2] or "localhost")


def _after_commit(callback) -> None:
    """Run `callback` once the current transaction commits (at once outside one)."""
    transaction.on_commit(callback, robust=True)


def _enqueue(message_id: int, run_after: datetime.datetime | None = None) -> None:
    """Hand a message to the task worker; a later attempt only where the backend can wait
    (otherwise `dialogue mail-retry` sends it when it is due)."""
    from dialogue.mail.tasks import deliver_message

    task = deliver_message
    if run_after is not None:
        if not task_backends[task.backend].supports_defer:
            return
        task = task.using(run_after=run_after)
    task.enqueue(message_id)


@transaction.atomic
def queue(
    *,
    to: Sequence[str | tuple[str, str]],
    subject: str,
    body: str,
    kind: str,
    about: models.Model | None = None,
    language: str = "",
    html_body: str = "",
    attachments: Iterable[tuple[str, bytes | str, str]] = (),
    from_email: str = "",
    personal_links: Sequence[str] = (),
    now: datetime.datetime | None = None,
) -> Message:
    """Store an e-mail in the caller's transaction and deliver it once that commits.

    A rolled-back transaction sends nothing; a committed one never loses the message
    (the task worker retries it, the sweep catches a lost task). The subject and the
    recipients' names are made single-line, so no text can add a header; an address
    that is not one is refused. `attachments` are (file name, content, type).

    `personal_links` are links of the text that work as a credential: they are kept
    until the message is sent or cancelled, then removed from the stored text, so that
    the outbox, its backups and anyone reading the database cannot use them.
    """
    if kind not in Message.Kind.values:
        raise DomainError(_("Unknown kind of e-mail."), field="kind", code="bad_kind")
    recipients = [_recipient(recipient) for recipient in to]
    if not recipients:
        raise DomainError(_("An e-mail needs a recipient."), field="to", code="no_recipient")
    links = _personal_links(personal_links, body, html_body)
    now = now or clock.now()
    message = Message.objects.create(
        kind=kind,
        to="\n".join(recipients),
        from_email=one_line(from_email)[:254],
        subject=one_line(subject)[:255],
        body=body,
        html_body=html_body,
        personal_links="\n".join(links),
        language=language or translation.get_language() or settings.LANGUAGE_CODE,
        about_type=about._meta.label_lower if about is not None else "",
        about_id=str(about.pk)[:64] if about is not None else "",
        about_repr=str(about)[:255] if about is not None else "",
        next_attempt_at=now,
        created_at=now,
        message_id=_message_id(),
    )
    Attachment.objects.bulk_create(
        Attachment(
            message=message,
            filename=one_line(filename)[:255],
            content=content.encode() if isinstance(content, str) else bytes(content),
            mimetype=one_line(mimetype)[:100],
        )
        for filename, content, mimetype in attachments
    )
    _after_commit(partial(_enqueue, message.pk))
    return message


def queue_email(
    email: EmailMessage,
    *,
    kind: str,
    about: models.Model | None = None,
    language: str = "",
    personal_links: Sequence[str] = (),
) -> Message:
    """Queue a built EmailMessage (text, an HTML alternative, attachments) as `queue` does.

    Copies (cc, bcc) and attachments that are MIME parts are refused: they would not be kept.
    """
    if email.cc or email.bcc:
        raise DomainError(_("Copies are not kept for queued e-mail."), code="copies")
    html_versions = [
        content for content, type_ in getattr(email, "alternatives", []) if type_ == "text/html"
    ]
    attachments = []
    for attachment in email.attachments:
        if not isinstance(attachment, tuple):
            raise DomainError(_("Unsupported attachment."), code="bad_attachment")
        attachments.append(tuple(attachment))
    return queue(
        to=email.to,
        subject=email.subject,
        body=email.body,
        kind=kind,
        about=about,
        language=language,
        html_body=html_versions[0] if html_versions else "",
        attachments=attachments,
        from_email=email.from_email or "",
        personal_links=personal_links,
    )


def _written(link: str) -> tuple[str, ...]:
    """The ways a link appears in a text: as is, and escaped for HTML."""
    return tuple(dict.fromkeys((link, html.escape(link))))


def _personal_links(links: Sequence[str], body: str, html_body: str) -> list[str]:
    found = []
    for link in links:
        if not isinstance(link, str) or "\n" in link or not link.strip():
            raise DomainError(_("A personal link is one line of text."), code="bad_link")
        if not any(form in text for form in _written(link) for text in (body, html_body)):
            raise DomainError(_("A personal link must appear in the text."), code="bad_link")
        found.append(link)
    return found


def _without_personal_links(message: Message) -> dict[str, str]:
    """The stored text of `message` with its personal links replaced by a note saying so
    (in the message's language), as field values to save."""
    links = [link for link in message.personal_links.splitlines() if link]
    if not links:
        return {}
    with translation.override(message.language or settings.LANGUAGE_CODE):
        note = _("[personal link, removed once sent]")
    body, html_body = message.body, message.html_body
    for link in sorted(links, key=len, reverse=True):
        for form in _written(link):
            body = body.replace(form, note)
            html_body = html_body.replace(form, html.escape(note))
    return {"body": body, "html_body": html_body, "personal_links": ""}


def _email(message: Message) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        from_email=message.from_email or None,
        to=message.recipient_list,
        headers={"Message-ID": message.message_id},
    )
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    for attachment in message.attachments.all():
        email.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
    return email


class NotAccepted(Exception):
    """The mail backend reported that it sent nothing."""


def deliver(message_id: int, *, now: datetime.datetime | None = None) -> str:
    """Make one attempt to send a queued message that is due at `now`; return its status.

    The message is claimed first (only one worker can), so two tasks for one message
    send it once. On failure the error is kept and the next attempt scheduled after
    MAIL_RETRY_DELAYS; after the last attempt the message is `failed`.
    """
    now = now or clock.now()
    with transaction.atomic():
        claimed = Message.objects.filter(
            pk=message_id, status=Message.Status.QUEUED, next_attempt_at__lte=now
        ).update(
            status=Message.Status.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + sending_lease(),
        )
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        return ""
    if not claimed:
        return message.status
    try:
        if not _email(message).send():
            raise NotAccepted(_("The mail server accepted no recipient."))
    except Exception as error:
        return _record_failure(message, error, now)
    Message.objects.filter(
        pk=message.pk, status__in=[Message.Status.SENDING, Message.Status.QUEUED]
    ).update(
        status=Message.Status.SENT,
        sent_at=clock.now(),
        next_attempt_at=None,
        **_without_personal_links(message),
    )
    return Message.Status.SENT


def _describe(error: Exception) -> str:
    """The error as staff read it: the mail server's own answer where there is one."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = [
            f"{address}: {code} {_text(answer)}"
            for address, (code, answer) in error.recipients.items()
        ]
        detail = "; ".join(answers)
    elif isinstance(error, smtplib.SMTPResponseException):
        detail = f"{error.smtp_code} {_text(error.smtp_error)}"
    else:
        detail = str(error)
    return one_line(f"{type(error).__name__}: {detail}")[:ERROR_LENGTH]


def _text(answer: bytes | str) -> str:
    return answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)


def _record_failure(message: Message, error: Exception, now: datetime.datetime) -> str:
    text = _describe(error)
    next_attempt_at = next_attempt(message.attempts, now)
    status = Message.Status.FAILED if next_attempt_at is None else Message.Status.QUEUED
    logger.warning(
        "E-mail %s (%s), attempt %d of %d, not sent: %s",
        message.pk,
        message.kind,
        message.attempts,
        max_attempts(),
        text,
    )
    with transaction.atomic():
        Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
            status=status, last_error=text, next_attempt_at=next_attempt_at
        )
        if next_attempt_at is not None:
            _after_commit(partial(_enqueue, message.pk, run_after=next_attempt_at))
    return status


def messages_retry_due(*, now: datetime.datetime | None = None) -> int:
    """The sweep: queue again what a lost worker left `sending` past its lease, and hand
    every queued message that is due to the worker. Returns how many were handed over.

    Run it periodically (`dialogue mail-retry`): a task lost between the commit and the
    queue, or a worker that died, then delays a message but never loses it.
    """
    now = now or clock.now()
    interrupted = _("The attempt was interrupted; the e-mail may have been sent.")
    with transaction.atomic():
        stuck = Message.objects.filter(status=Message.Status.SENDING, next_attempt_at__lte=now)
        stuck.filter(attempts__gte=max_attempts()).update(
            status=Message.Status.FAILED, next_attempt_at=None, last_error=interrupted
        )
        stuck.update(status=Message.Status.QUEUED, next_attempt_at=now, last_error=interrupted)
        due = list(
            Message.objects.filter(status=Message.Status.QUEUED, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)
        )
    for message_id in due:
        _after_commit(partial(_enqueue, message_id))
    return len(due)


AUDITED_FIELDS = ("status", "attempts", "next_attempt_at")


def _locked(message: Message) -> Message:
    return Message.objects.select_for_update().get(pk=message.pk)


@transaction.atomic
def message_send_again(*, actor, message: Message, now: datetime.datetime | None = None) -> Message:
    """Queue a failed e-mail again, with a fresh set of attempts (staff only, audited)."""
    require_staff(actor)
    message = _locked(message)
    if message.status != Message.Status.FAILED:
        raise DomainError(
            _("Only an e-mail that failed can be sent again."), code="mail_not_failed"
        )
    before = audit.snapshot(message, AUDITED_FIELDS)
    message.status = Message.Status.QUEUED
    message.attempts = 0
    message.next_attempt_at = now or clock.now()
    message.save(update_fields=AUDITED_FIELDS)
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=message,
        changes=audit.diff(before, audit.snapshot(message, AUDITED_FIELDS)),
        note="e-mail sent again",
    )
    _after_commit(partial(_enqueue, message.pk))
    return message


@transaction.atomic
def message_cancel(*, actor, message: Message) -> Message:
    """Stop a queued or failed e-mail from being sent (staff only, audited)."""
    require_staff(actor)
    message = _locked(message)
    if message.status not in (Message.Status.QUEUED, Message.Status.FAILED):
        raise DomainError(
            _("Only an e-mail that is queued or failed can be cancelled."),
            code="mail_not_cancellable",
        )
    before = audit.snapshot(message, AUDITED_FIELDS)
    message.status = Message.Status.CANCELLED
    message.next_attempt_at = None
    redacted = _without_personal_links(message)
    for field, value in redacted.items():
        setattr(message, field, value)
    message.save(update_fields=[*AUDITED_FIELDS, *redacted])
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=message,
        changes=audit.diff(before, audit.snapshot(message, AUDITED_FIELDS)),
        note="e-mail cancelled",
    )
    return message
