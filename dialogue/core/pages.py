"""Pages that answer a refused form with a 4xx status.

A form sent back with its errors is still a page for the person who filled it in, but
to the browser, a proxy, a monitoring probe or a script it must not look like a success:
the request was refused. `render` is django.shortcuts.render with that rule, and
`RefusedFormStatus` gives a class-based form view the same rule.
"""

from http import HTTPStatus

from django import forms
from django.shortcuts import render as django_render

REFUSED = HTTPStatus.BAD_REQUEST


def has_refused_form(context) -> bool:
    """True when a form or formset of `context` was validated and holds errors.

    Only forms whose errors were already computed count: a form the view never
    validated (a search box shown empty, a form not sent) is not a refusal."""
    for value in (context or {}).values():
        if isinstance(value, forms.BaseForm) and value.is_bound and value._errors:
            return True
        if (
            isinstance(value, forms.BaseFormSet)
            and value.is_bound
            and value._errors is not None
            and not value.is_valid()
        ):
            return True
    return False


def render(request, template_name, context=None, content_type=None, status=None, using=None):
    """Render a page as django.shortcuts.render does; without an explicit `status`, a
    page showing a form refused with errors answers 400 Bad Request."""
    if status is None and has_refused_form(context):
        status = REFUSED
    return django_render(request, template_name, context, content_type, status, using)


class RefusedFormStatus:
    """For a FormView: a form shown again with its errors answers 400 Bad Request."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = REFUSED
        return response
