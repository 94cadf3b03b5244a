"""Staff pages of outgoing mail: what was sent, what waits, what failed and why."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.pages import render
from dialogue.mail import selectors, services
from dialogue.mail.forms import MessageFilterForm
from dialogue.mail.models import Message

PAGE_SIZE = 50
BAD_REQUEST = 400


@never_cache
@staff_member_required
@require_safe
def message_list(request):
    """Outgoing e-mails, filtered by status, kind, recipient and date, failed ones first."""
    form = MessageFilterForm(request.GET or None)
    status = 200
    if not form.is_bound:
        found = selectors.message_list()
    elif form.is_valid():
        found = selectors.message_list(**form.filters())
    else:
        found = Message.objects.none()
        status = BAD_REQUEST
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "mail/message_list.html",
        {
            "form": form,
            "page": page,
            "mail_messages": page.object_list,
            "failed_count": selectors.failed_count(),
        },
        status=status,
    )


def _back(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("staff:mail_list")


def _act(request, pk: int, service, done: str):
    message = get_object_or_404(Message, pk=pk)
    try:
        service(actor=request.user, message=message)
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done % {"subject": message.subject})
    return _back(request)


@require_POST
@staff_member_required
def message_send_again(request, pk: int):
    """Queue a failed e-mail again; it is sent at once by the task worker."""
    return _act(request, pk, services.message_send_again, _("“%(subject)s” is queued again."))


@require_POST
@staff_member_required
def message_cancel(request, pk: int):
    """Stop a queued or failed e-mail from being sent."""
    return _act(request, pk, services.message_cancel, _("“%(subject)s” will not be sent."))
