"""Background work of outgoing mail: one delivery attempt per task, and the sweep."""

from django_tasks import task

from dialogue.mail import services


@task()
def deliver_message(message_id: int) -> str:
    """Make one attempt to send a queued e-mail; a failure schedules the next one."""
    return services.deliver(message_id)


@task()
def retry_due_messages() -> int:
    """The sweep as a background task (schedule it, e.g. every five minutes)."""
    return services.messages_retry_due()
