"""Reads of outgoing mail for the staff."""

import datetime

from django.db.models import Case, IntegerField, QuerySet, Value, When

from dialogue.mail.models import Message


def message_list(
    *,
    status: str = "",
    kind: str = "",
    recipient: str = "",
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> QuerySet[Message]:
    """Outgoing e-mails matching the filters (dates are the day they were queued, both
    included), failed ones first, then the newest."""
    messages = Message.objects.all()
    if status:
        messages = messages.filter(status=status)
    if kind:
        messages = messages.filter(kind=kind)
    if recipient:
        messages = messages.filter(to__icontains=recipient)
    if since:
        messages = messages.filter(created_at__date__gte=since)
    if until:
        messages = messages.filter(created_at__date__lte=until)
    failed_first = Case(
        When(status=Message.Status.FAILED, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return messages.order_by(failed_first, "-created_at", "-id")


def failed_count() -> int:
    """How many e-mails failed after their last attempt and wait for staff."""
    return Message.objects.filter(status=Message.Status.FAILED).count()


def queued_since(*, kind: str, about, since: datetime.datetime) -> bool:
    """True when an e-mail of `kind` about the object `about` was queued after `since`
    (whatever became of it): a sender that may go out only so often asks this first."""
    return Message.objects.filter(
        kind=kind,
        about_type=about._meta.label_lower,
        about_id=str(about.pk),
        created_at__gt=since,
    ).exists()
