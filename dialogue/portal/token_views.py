"""A person's personal API tokens: create one (its secret is shown once) and revoke one."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from dialogue.api import selectors, services
from dialogue.api.models import ApiToken
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.pages import render


class TokenForm(forms.Form):
    """A new token's name and optional last day of validity."""

    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What the token is for, so that you can recognize it later."),
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Leave empty for a token that works until you revoke it."),
    )


def _end_of_day(date: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(date, datetime.time.max, tzinfo=datetime.UTC)


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    """The person's tokens and a form to create one; a new token's secret is shown on the
    answer to its creation only, never again."""
    form = TokenForm(request.POST if request.method == "POST" else None)
    secret = created = None
    if request.method == "POST" and form.is_valid():
        expires_on = form.cleaned_data["expires_on"]
        try:
            created, secret = services.token_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                expires_at=_end_of_day(expires_on) if expires_on else None,
            )
        except NotPermitted as error:
            raise PermissionDenied(error.message) from error
        except DomainError as error:
            field = {"expires_at": "expires_on"}.get(error.field, error.field)
            form.add_error(field if field in form.fields else None, error.message)
        else:
            form = TokenForm()
    response = render(
        request,
        "portal/tokens/list.html",
        {
            "form": form,
            "tokens": selectors.tokens_of(request.user),
            "created": created,
            "secret": secret,
        },
    )
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def token_revoke(request, token_id: int):
    """Revoke one of the person's own tokens; anyone else's is not found."""
    try:
        token = selectors.token_of(request.user, token_id)
    except ApiToken.DoesNotExist as error:
        raise Http404 from error
    try:
        services.token_revoke(actor=request.user, token=token)
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    messages.success(request, _("The token “%(name)s” has been revoked.") % {"name": token.name})
    return redirect("portal:tokens")
