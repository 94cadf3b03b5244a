"""Staff pages that invite people to an event and manage its registrations.

Each page asks to confirm or to choose, calls one service of
`dialogue.events.registration` on POST, and shows the service's refusal on the form; who
may be invited or registered, capacity, the waiting list and approval are the services'
own rules.
"""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.pages import render
from dialogue.events import registration as services
from dialogue.events.models import Event, Invitation, Registration
from dialogue.events.selectors import dates_text, invited_people
from dialogue.staff.event_forms import ConfirmForm
from dialogue.staff.event_views import _event
from dialogue.staff.invitation_forms import (
    MembersInviteForm,
    OrganizationsInviteForm,
    PersonSearchForm,
    PersonsInviteForm,
    RegistrationCreateForm,
)

ACTION_PAGE = "staff/events/invitations/action.html"


def _show_error(form, error: DomainError) -> None:
    """A refusal of the domain beside the input at fault, or above the form.

    Only a refusal of the actor is a 403; a person who may not register or be invited is
    a refusal of the input, shown on the form like any other.
    """
    if isinstance(error, NotPermitted) and error.code == "not_permitted":
        raise PermissionDenied(error.message) from error
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _action(
    request,
    event: Event,
    *,
    form,
    act,
    done,
    back: str,
    back_label: str,
    title: str,
    explanation: str,
    button: str,
    danger: bool = False,
    template: str = ACTION_PAGE,
    **extra,
):
    """A page with a form that calls `act(data)` on POST, then goes `back` with `done(result)`."""
    if request.method == "POST" and form.is_valid():
        try:
            result = act(form.cleaned_data)
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, done(result))
            return redirect(back)
    return render(
        request,
        template,
        {
            "event": event,
            "dates": dates_text(event),
            "form": form,
            "title": title,
            "explanation": explanation,
            "button": button,
            "danger": danger,
            "back": back,
            "back_label": back_label,
            **extra,
        },
    )


def _posted(request):
    return request.POST if request.method == "POST" else None


# --- invitations ----------------------------------------------------------------------


def _invitations_page(event: Event) -> str:
    return reverse("staff:invitation_list", args=[event.pk])


def _invited(count: int) -> str:
    return ngettext(
        "%(count)d invitation was made; its e-mails are being sent.",
        "%(count)d invitations were made; their e-mails are being sent.",
        count,
    ) % {"count": count}


def _invitations_done(nobody_new: str):
    return lambda created: _invited(len(created)) if created else nobody_new


@staff_member_required
@require_safe
def invitation_list(request, pk: int):
    """Who the event invites (members, organizations, persons), when, and when e-mailed."""
    event = _event(pk)
    invitations = (
        Invitation.objects.filter(event=event)
        .select_related("member", "organization", "person__delegation", "person__organization")
        .order_by("invited_at", "id")
    )
    return render(
        request,
        "staff/events/invitations/list.html",
        {
            "event": event,
            "dates": dates_text(event),
            "invitations": invitations,
            "reached": invited_people(event).count(),
        },
    )


@staff_member_required
def event_invite_membership(request, pk: int):
    """Invite every active member, after confirmation."""
    event = _event(pk)
    return _action(
        request,
        event,
        form=ConfirmForm(_posted(request)),
        act=lambda data: services.invite_membership(actor=request.user, event=event),
        done=_invitations_done(_("Every active member was already invited.")),
        back=_invitations_page(event),
        back_label=_("Back to the invitations"),
        title=_("Invite the membership"),
        explanation=_(
            "Every active Member State, observer State and observer organization not yet "
            "invited is invited; their delegates and focal points are told by e-mail, each "
            "in their own language."
        ),
        button=_("Invite the membership"),
    )


@staff_member_required
def event_invite_members(request, pk: int):
    """Invite the members chosen."""
    event = _event(pk)
    return _action(
        request,
        event,
        form=MembersInviteForm(_posted(request), event=event),
        act=lambda data: services.invite_members(
            actor=request.user, event=event, members=data["members"]
        ),
        done=_invitations_done(_("The members chosen were already invited.")),
        back=_invitations_page(event),
        back_label=_("Back to the invitations"),
        title=_("Invite members"),
        explanation=_(
            "The delegates and focal points of each Member chosen are told by e-mail, each in "
            "their own language."
        ),
        button=_("Invite"),
    )


@staff_member_required
def event_invite_organizations(request, pk: int):
    """Invite the stakeholder organizations chosen, and their persons in person."""
    event = _event(pk)
    return _action(
        request,
        event,
        form=OrganizationsInviteForm(_posted(request), event=event),
        act=lambda data: services.invite_organizations(
            actor=request.user, event=event, organizations=data["organizations"]
        ),
        done=_invitations_done(_("The organizations chosen were already invited.")),
        back=_invitations_page(event),
        back_label=_("Back to the invitations"),
        title=_("Invite stakeholder organizations"),
        explanation=_(
            "Persons who join an invited organization later are not invited by this: "
            "invite them in person, or register them."
        ),
        button=_("Invite"),
    )


@staff_member_required
def event_invite_persons(request, pk: int):
    """Invite the persons chosen, found by name, e-mail address or affiliation."""
    event = _event(pk)
    search = PersonSearchForm(request.GET)
    return _action(
        request,
        event,
        form=PersonsInviteForm(_posted(request), event=event, query=search.query()),
        act=lambda data: services.invite_persons(
            actor=request.user, event=event, persons=data["persons"]
        ),
        done=_invitations_done(_("The persons chosen were already invited.")),
        back=_invitations_page(event),
        back_label=_("Back to the invitations"),
        title=_("Invite persons"),
        explanation=_(
            "Experts, for example. Each person receives a personal link to register for this "
            "event, even one by invitation only."
        ),
        button=_("Invite"),
        search=search,
    )


@staff_member_required
def invitation_resend(request, pk: int):
    """Send an invitation's e-mail again, after confirmation; a personal link is replaced."""
    invitation = get_object_or_404(
        Invitation.objects.select_related("member", "organization", "person"), pk=pk
    )
    event = _event(invitation.event_id)
    invitee = invitation.member or invitation.organization or invitation.person
    return _action(
        request,
        event,
        form=ConfirmForm(_posted(request)),
        act=lambda data: services.invitation_resend(actor=request.user, invitation=invitation),
        done=lambda sent: (
            _("The invitation of %(invitee)s is being sent again.") % {"invitee": invitee}
        ),
        back=_invitations_page(event),
        back_label=_("Back to the invitations"),
        title=_("Send the invitation again"),
        explanation=(
            _(
                "%(invitee)s receives the invitation again with a new personal link; the "
                "link sent before stops working."
            )
            if invitation.person_id
            else _("The invitation of %(invitee)s is e-mailed again to all it reaches.")
        )
        % {"invitee": invitee},
        button=_("Send again"),
    )


# --- registrations --------------------------------------------------------------------


def _participants_page(event: Event) -> str:
    return reverse("staff:participants_list", args=[event.pk])


@staff_member_required
def registration_create(request, pk: int):
    """Register a person for the event: a place if one is free, else the waiting list."""
    event = _event(pk)
    search = PersonSearchForm(request.GET)
    return _action(
        request,
        event,
        form=RegistrationCreateForm(_posted(request), query=search.query()),
        act=lambda data: services.registration_create(
            actor=request.user, event=event, person=data["person"]
        ),
        done=lambda registration: (
            _("The registration of %(name)s is recorded: %(status)s.")
            % {"name": registration.person.full_name, "status": registration.get_status_display()}
        ),
        back=_participants_page(event),
        back_label=_("Back to the participants"),
        title=_("Register a person"),
        explanation=_(
            "The secretariat may register anyone who may take part: on an event by invitation "
            "only, a person reached by one of its invitations. Registrations stay open until "
            "the event starts."
        ),
        button=_("Register"),
        search=search,
    )


def _registration(pk: int) -> Registration:
    return get_object_or_404(Registration.objects.select_related("person"), pk=pk)


def _registration_action(request, registration: Registration, **page):
    """A confirmation page for one registration, which it describes, back to the participants."""
    event = _event(registration.event_id)
    return _action(
        request,
        event,
        form=ConfirmForm(_posted(request)),
        back=_participants_page(event),
        back_label=_("Back to the participants"),
        registration=registration,
        **page,
    )


@staff_member_required
def registration_approve(request, pk: int):
    """Approve a registration awaiting approval; the participant is told by e-mail."""
    registration = _registration(pk)
    name = registration.person.full_name
    return _registration_action(
        request,
        registration,
        act=lambda data: services.registration_approve(
            actor=request.user, registration=registration
        ),
        done=lambda approved: _("The registration of %(name)s is approved.") % {"name": name},
        title=_("Approve the registration"),
        explanation=_("%(name)s holds a place and is told by e-mail.") % {"name": name},
        button=_("Approve"),
    )


@staff_member_required
def registration_reject(request, pk: int):
    """Turn down a registration awaiting approval or waiting; its place goes to the next."""
    registration = _registration(pk)
    name = registration.person.full_name
    return _registration_action(
        request,
        registration,
        act=lambda data: services.registration_reject(
            actor=request.user, registration=registration
        ),
        done=lambda rejected: _("The registration of %(name)s was turned down.") % {"name": name},
        title=_("Turn down the registration"),
        explanation=_(
            "%(name)s is told by e-mail and cannot register again by themselves. A place "
            "awaiting approval goes to the first on the waiting list."
        )
        % {"name": name},
        button=_("Turn down"),
        danger=True,
    )


@staff_member_required
def registration_cancel(request, pk: int):
    """Cancel a current registration; a place it held goes to the first on the waiting list."""
    registration = _registration(pk)
    name = registration.person.full_name
    return _registration_action(
        request,
        registration,
        act=lambda data: services.registration_cancel(
            actor=request.user, registration=registration
        ),
        done=lambda cancelled: _("The registration of %(name)s is cancelled.") % {"name": name},
        title=_("Cancel the registration"),
        explanation=_(
            "The place of %(name)s, if they held one, goes to the first on the waiting list, "
            "who is told by e-mail. The registration stays on record as cancelled; %(name)s may "
            "register again."
        )
        % {"name": name},
        button=_("Cancel the registration"),
        danger=True,
    )


@staff_member_required
def event_waiting_list_promote(request, pk: int):
    """Give the places that are free, after the capacity was raised, to those waiting."""
    event = _event(pk)
    return _action(
        request,
        event,
        form=ConfirmForm(_posted(request)),
        act=lambda data: services.waiting_list_promote(actor=request.user, event=event),
        done=lambda promoted: (
            ngettext(
                "%(count)d person on the waiting list was given a place and is told by e-mail.",
                "%(count)d persons on the waiting list were given a place and are told by e-mail.",
                len(promoted),
            )
            % {"count": len(promoted)}
            if promoted
            else _("No place is free, or nobody is waiting: nobody was moved.")
        ),
        back=_participants_page(event),
        back_label=_("Back to the participants"),
        title=_("Fill free places from the waiting list"),
        explanation=_(
            "The places that are free, for example after the capacity was raised, go to the "
            "first on the waiting list in the order they registered; where registrations "
            "need approval, they then await it. Nobody moves once the event has started."
        ),
        button=_("Fill free places"),
    )


@staff_member_required
def event_follow_up(request, pk: int):
    """E-mail the participants of a held event the links to its page, materials and report."""
    event = _event(pk)
    return _action(
        request,
        event,
        form=ConfirmForm(_posted(request)),
        act=lambda data: services.follow_up_send(actor=request.user, event=event),
        done=lambda count: (
            ngettext(
                "The follow-up e-mail is being sent to %(count)d participant.",
                "The follow-up e-mail is being sent to %(count)d participants.",
                count,
            )
            % {"count": count}
            if count
            else _("Every participant with an e-mail address has already received the follow-up.")
        ),
        back=_participants_page(event),
        back_label=_("Back to the participants"),
        title=_("Send the follow-up e-mail"),
        explanation=_(
            "Each registered participant with an e-mail address receives, once, the links to "
            "the event's page, its materials and its report, in their own language. Sending "
            "again reaches only those who have not received it yet."
        ),
        button=_("Send the follow-up e-mail"),
    )
