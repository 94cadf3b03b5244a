"""The delegates' portal: a delegation's events and registrations, and personal invitation links."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dialogue.core import clock
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.pages import render
from dialogue.events import registration as services
from dialogue.events.models import Event, Registration
from dialogue.events.selectors import dates_text
from dialogue.funding.selectors import interpretation_offered
from dialogue.members import selectors as member_selectors
from dialogue.members.models import Language, Person
from dialogue.members.services import can_manage_delegation


class DelegationRegistrationForm(forms.Form):
    """The persons of a delegation a focal point registers at once."""

    persons = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Persons to register"),
        queryset=Person.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one person to register.")},
    )

    def __init__(self, *args, persons, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["persons"].queryset = persons
        self.fields["persons"].label_from_instance = lambda p: p.full_name


def _participant(request):
    """The viewer's person and delegation, for an active delegate or focal point only."""
    person = member_selectors.person_for_user(request.user)
    if person is None or person.delegation is None or not person.is_active:
        raise PermissionDenied(_("Your account does not act for a delegation."))
    return person, person.delegation


def _visible_event(member, pk: int) -> Event:
    """An event the delegation may see; any other is not found."""
    return get_object_or_404(services.events_for_delegation(member), pk=pk)


def _is_past(event: Event, now) -> bool:
    if event.status in (Event.Status.HELD, Event.Status.CANCELLED):
        return True
    closes = services.registration_closes_at(event)
    return closes is not None and now >= closes


def _date_order(event: Event) -> tuple[datetime.date, int]:
    """Events by the earliest day they could fall on; those without a date last."""
    if event.start_date:
        return event.start_date, event.pk
    if event.year:
        return datetime.date(event.year, event.month or 1, 1), event.pk
    return datetime.date.max, event.pk


def _languages(codes) -> list[str]:
    names = dict(Language.choices)
    return [str(names[code]) for code in codes if code in names]


@login_required
@require_safe
def events(request):
    """The events the delegation is invited to or may register for, upcoming and past."""
    person, member = _participant(request)
    now = clock.now()
    upcoming, past = [], []
    for event in sorted(services.events_for_delegation(member), key=_date_order):
        row = {
            "event": event,
            "dates": dates_text(event),
            "registrations": event.delegation_registrations,
            "own": next(
                (r for r in event.delegation_registrations if r.person_id == person.pk), None
            ),
        }
        (past if _is_past(event, now) else upcoming).append(row)
    past.reverse()
    return render(
        request,
        "portal/events/list.html",
        {"person": person, "member": member, "upcoming": upcoming, "past": past},
    )


@login_required
@require_safe
def event(request, pk: int):
    """One event: its dates and venue, the viewer's registration and the delegation's."""
    person, member = _participant(request)
    event = _visible_event(member, pk)
    own = services.registration_of(event, person)
    closed = services.registration_closed_reason(event)
    return render(
        request,
        "portal/events/detail.html",
        {
            "person": person,
            "member": member,
            "event": event,
            "dates": dates_text(event),
            "working_languages": _languages(event.working_languages),
            "interpretation": _languages(interpretation_offered(event)),
            "own": own,
            "position": services.waiting_position(own) if own else None,
            "closed": closed,
            "can_register": own is None and closed is None and services.may_register(event, person),
            "can_manage": can_manage_delegation(request.user, member),
            "registrations": services.registrations_of_delegation(event, member),
        },
    )


def _registered_message(registration: Registration) -> str:
    name = registration.person.full_name
    if registration.status == Registration.Status.WAITING:
        return _("The event is full: %(name)s is on the waiting list (position %(position)d).") % {
            "name": name,
            "position": services.waiting_position(registration),
        }
    if registration.status == Registration.Status.PENDING:
        return _("%(name)s is registered; the registration awaits approval.") % {"name": name}
    return _("%(name)s is registered.") % {"name": name}


@login_required
@require_POST
def event_register(request, pk: int):
    """Register the viewer for an event."""
    person, member = _participant(request)
    event = _visible_event(member, pk)
    try:
        registration = services.registration_create(actor=request.user, event=event, person=person)
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _registered_message(registration))
    return redirect("portal:event", pk=event.pk)


@login_required
@require_http_methods(["GET", "POST"])
def event_register_delegation(request, pk: int):
    """A focal point registers several persons of its delegation at once (all or none)."""
    person, member = _participant(request)
    if not can_manage_delegation(request.user, member):
        raise PermissionDenied(_("Only your delegation's focal point can register its persons."))
    event = _visible_event(member, pk)
    registered = services.registrations_of_delegation(event, member).values("person")
    candidates = member_selectors.delegation_persons(member).filter(is_active=True)
    form = DelegationRegistrationForm(
        request.POST if request.method == "POST" else None,
        persons=candidates.exclude(pk__in=registered),
    )
    if request.method == "POST" and form.is_valid():
        try:
            done = services.registrations_for_delegation(
                actor=request.user,
                event=event,
                delegation=member,
                persons=form.cleaned_data["persons"],
            )
        except NotPermitted as error:
            raise PermissionDenied(error.message) from error
        except DomainError as error:
            form.add_error("persons" if error.field == "persons" else None, error.message)
        else:
            for registration in done:
                messages.success(request, _registered_message(registration))
            return redirect("portal:event", pk=event.pk)
    return render(
        request,
        "portal/events/register_delegation.html",
        {
            "person": person,
            "member": member,
            "event": event,
            "dates": dates_text(event),
            "form": form,
            "closed": services.registration_closed_reason(event),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def registration_cancel(request, pk: int):
    """Cancel one's own registration or, as a focal point, one of the delegation's.

    Confirmed on a page of its own (GET) before it is done (POST). A registration the
    viewer may not cancel is not found.
    """
    viewer, member = _participant(request)
    registration = get_object_or_404(
        Registration.objects.select_related("event", "person"),
        pk=pk,
        status__in=Registration.ACTIVE,
    )
    own = registration.person_id == viewer.pk
    if not own and not (
        registration.person.delegation_id == member.pk
        and can_manage_delegation(request.user, member)
    ):
        raise Http404
    if request.method == "GET":
        return render(
            request,
            "portal/events/cancel.html",
            {"registration": registration, "event": registration.event, "own": own},
        )
    try:
        services.registration_cancel(actor=request.user, registration=registration)
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The registration of %(name)s has been cancelled.")
            % {"name": registration.person.full_name},
        )
    return redirect("portal:event", pk=registration.event_id)


def _no_referrer(response):
    """Keep the link's token out of the Referer of anything the page leads to."""
    response["Referrer-Policy"] = "no-referrer"
    return response


def _invalid_link(request):
    return _no_referrer(render(request, "portal/events/invitation_invalid.html", status=404))


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request, token: str):
    """The page a personal invitation link opens: no login, for the invited person only.

    It shows the event and lets the person register or cancel. The form names its event,
    and a token used for any other event, like an unknown or replaced one, is not found.
    """
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return _invalid_link(request)
    if request.method == "POST":
        try:
            event_pk = int(request.POST.get("event", ""))
        except (TypeError, ValueError, OverflowError):
            return _invalid_link(request)
        event = Event.objects.filter(pk=event_pk).first()
        if event is None or services.invitation_for_token(token, event) is None:
            return _invalid_link(request)
        action = request.POST.get("action")
        try:
            if action == "register":
                done = services.registration_create_by_link(
                    actor=request.user, event=event, token=token
                )
                messages.success(request, _registered_message(done))
            elif action == "cancel":
                services.registration_cancel_by_link(actor=request.user, event=event, token=token)
                messages.success(request, _("Your registration has been cancelled."))
            else:
                messages.error(request, _("Choose to register or to cancel."))
        except NotPermitted:
            return _invalid_link(request)
        except DomainError as error:
            messages.error(request, error.message)
        return _no_referrer(redirect("portal:invitation", token=token))
    event, person = invitation.event, invitation.person
    own = services.registration_of(event, person)
    closed = services.registration_closed_reason(event)
    return _no_referrer(
        render(
            request,
            "portal/events/invitation.html",
            {
                "token": token,
                "event": event,
                "invited": person,
                "dates": dates_text(event),
                "working_languages": _languages(event.working_languages),
                "interpretation": _languages(interpretation_offered(event)),
                "own": own,
                "position": services.waiting_position(own) if own else None,
                "closed": closed,
                "can_register": own is None and closed is None,
            },
        )
    )
