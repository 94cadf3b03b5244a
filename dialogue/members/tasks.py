"""Background work of the membership registry."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task

from dialogue.mail import services as mail
from dialogue.mail.models import Message
from dialogue.members.models import User


def account_invitation_link(user: User) -> str:
    """The single-use link by which a new account holder sets their password."""
    person = getattr(user, "person", None)
    language = person.preferred_language if person else settings.LANGUAGE_CODE
    with translation.override(language):
        path = reverse(
            "portal:password_set",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
    return settings.SITE_URL.rstrip("/") + path


@task()
def send_account_invitation(user_id: int) -> None:
    """E-mail a new account holder, in their language, the link to set their password."""
    user = User.objects.select_related("person", "person__delegation").get(pk=user_id)
    person = getattr(user, "person", None)
    language = person.preferred_language if person else settings.LANGUAGE_CODE
    with translation.override(language):
        link = account_invitation_link(user)
        context = {
            "person": person,
            "link": link,
            "dialogue_name": settings.DIALOGUE_NAME,
            "organization_name": settings.ORGANIZATION_NAME,
        }
        subject = render_to_string("members/email/invitation_subject.txt", context).strip()
        body = render_to_string("members/email/invitation_body.txt", context)
    mail.queue(
        to=[user.email],
        subject=subject,
        body=body,
        kind=Message.Kind.ACCOUNT_INVITATION,
        about=person or user,
        language=language,
        personal_links=[link],
    )
