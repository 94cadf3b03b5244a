"""Staff pages of events: planning, status, funding and participants.

Each page parses its form, calls one service or selector of `dialogue.events` or
`dialogue.funding`, and shows the service's refusal on the form or as a message; the
rules (dates, funding before confirmation, interpretation offered only when paid for)
are the domain's own.
"""

import decimal

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import formats
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from dialogue.core import clock, ratelimit
from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.pages import render
from dialogue.events import documents, participants, services
from dialogue.events.models import Event
from dialogue.events.selectors import dates_text
from dialogue.funding import selectors as funding
from dialogue.funding import services as funding_services
from dialogue.funding.models import BudgetLine, ExchangeRate, Pledge
from dialogue.members.models import Language
from dialogue.staff.event_forms import (
    BudgetLineForm,
    CancelForm,
    ConfirmForm,
    EventFilterForm,
    EventForm,
    ExchangeRateForm,
    OutcomeForm,
    OverviewFilterForm,
    PledgeForm,
    PledgeReceivedForm,
    PledgeWithdrawForm,
    PostponeForm,
)

EVENT_PAGE = "staff:event_detail"


def _event(pk: int) -> Event:
    return get_object_or_404(
        Event.objects.select_related("cycle", "topic", "host", "previous_session"), pk=pk
    )


def _show_error(form, error: DomainError, aliases: dict[str, str] | None = None) -> None:
    """A refusal of the domain beside the input at fault, or above the form."""
    if isinstance(error, NotPermitted):
        raise PermissionDenied(error.message) from error
    name = (aliases or {}).get(error.field or "", error.field)
    form.add_error(name if name in form.fields else None, error.message)


def _plain(value: decimal.Decimal) -> str:
    """A rate without trailing zeros or exponent: 1.08000000 as "1.08", 1E+1 as "10"."""
    return format(value.normalize(), "f")


def _coverage_context(coverage) -> dict:
    return {
        "coverage": coverage,
        "rates": [
            (code, _plain(rate))
            for code, rate in sorted(coverage.rates_used.items())
            if code != coverage.currency
        ],
        "rates_on": clock.today(),
    }


def _language_names(codes) -> list[str]:
    names = dict(Language.choices)
    return [str(names.get(code, code)) for code in codes or []]


# --- events ---------------------------------------------------------------------------


@staff_member_required
@require_safe
def event_list(request):
    """Every event, filtered by cycle, kind and status, with its dates as far as known."""
    form = EventFilterForm(request.GET or None)
    events = Event.objects.select_related("cycle", "topic").order_by(
        "-cycle__year", "start_date", "year", "month", "id"
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["cycle"]:
            events = events.filter(cycle=data["cycle"])
        if data["kind"]:
            events = events.filter(kind=data["kind"])
        if data["status"]:
            events = events.filter(status=data["status"])
    rows = [(event, dates_text(event)) for event in events]
    return render(request, "staff/events/list.html", {"form": form, "rows": rows})


def _event_form_page(request, *, event: Event | None, initial: dict | None, title: str):
    posted = request.method == "POST"
    form = EventForm(request.POST if posted else None, initial=initial, event=event)
    if posted and form.is_valid():
        data, partners = form.data_for_service()
        try:
            saved = services.event_save(
                actor=request.user, data=data, event=event, partners=partners
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("“%(title)s” saved.") % {"title": saved.title})
            return redirect(EVENT_PAGE, pk=saved.pk)
    return render(
        request,
        "staff/events/event_form.html",
        {"form": form, "event": event, "title": title},
    )


@staff_member_required
def event_create(request):
    """Plan an event: what, when as far as known, where, for whom, in which languages."""
    initial = {}
    if request.GET.get("cycle", "").isdigit():
        initial["cycle"] = int(request.GET["cycle"])
    return _event_form_page(request, event=None, initial=initial, title=_("Plan an event"))


@staff_member_required
def event_edit(request, pk: int):
    """Change what is planned for an event; a change of its dates notifies the invitees."""
    event = _event(pk)
    return _event_form_page(
        request, event=event, initial=EventForm.initial_for(event), title=_("Change the event")
    )


@staff_member_required
def event_new_session(request, pk: int):
    """Plan a new session of a training course, starting from a copy of this session."""
    event = _event(pk)
    if event.kind != Event.Kind.TRAINING:
        messages.error(request, _("Only a training is repeated as a new session of a course."))
        return redirect(EVENT_PAGE, pk=event.pk)
    return _event_form_page(
        request,
        event=None,
        initial=EventForm.initial_for_new_session(event),
        title=_("Plan a new session of the course"),
    )


def _funding_context(event: Event) -> dict:
    """The event's budget, pledges and coverage, and the interpretation they pay for."""
    coverage = funding.coverage(event)
    offered = funding.interpretation_offered(event)
    lines_by_language = {
        line.line.language: line for line in coverage.lines if line.line.kind == "interpretation"
    }
    interpretation = [
        {
            "code": code,
            "name": name,
            "offered": code in offered,
            "line": lines_by_language.get(code),
        }
        for code, name in zip(
            event.interpretation_languages,
            _language_names(event.interpretation_languages),
            strict=True,
        )
    ]
    pledges = (
        Pledge.objects.filter(event=event)
        .select_related("donor__member", "donor__organization", "budget_line")
        .order_by("pledged_on", "id")
    )
    return {
        **_coverage_context(coverage),
        "interpretation": interpretation,
        "pledges": pledges,
    }


@staff_member_required
@require_safe
def event_detail(request, pk: int):
    """An event: details, status and what can be done next, funding, and participants."""
    event = _event(pk)
    context = {
        "event": event,
        "dates": dates_text(event),
        "partners": list(event.partners.all()),
        "later_sessions": [
            (session, dates_text(session))
            for session in event.later_sessions.select_related("cycle").order_by("start_date")
        ],
        "working_languages": _language_names(event.working_languages),
        "composition": participants.participants_composition(event),
        **_funding_context(event),
    }
    return render(request, "staff/events/detail.html", context)


def _action_page(request, event, *, form, title, explanation, button, danger=False, **extra):
    return render(
        request,
        "staff/events/action.html",
        {
            "event": event,
            "dates": dates_text(event),
            "form": form,
            "title": title,
            "explanation": explanation,
            "button": button,
            "danger": danger,
            **extra,
        },
    )


def _event_action(request, event, *, form_class, act, done: str, initial=None, **page):
    """A page with a form (maybe empty) that calls `act(actor, event, data)` on POST."""
    posted = request.method == "POST"
    form = form_class(request.POST if posted else None, initial=initial)
    if posted and form.is_valid():
        try:
            act(request.user, event, form.cleaned_data)
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, done)
            return redirect(EVENT_PAGE, pk=event.pk)
    return _action_page(request, event, form=form, **page)


@staff_member_required
def event_seek_funding(request, pk: int):
    """Mark an event as waiting for funding, after confirmation."""
    event = _event(pk)
    return _event_action(
        request,
        event,
        form_class=ConfirmForm,
        act=lambda actor, event, data: services.event_seek_funding(actor=actor, event=event),
        done=_("The event is now seeking funding."),
        title=_("Seek funding"),
        explanation=_(
            "The event is shown as seeking funding until it is confirmed, postponed or "
            "cancelled. Record its budget lines and the donors' pledges on its page."
        ),
        button=_("Seek funding"),
    )


@staff_member_required
def event_confirm(request, pk: int):
    """Confirm an event; one held only if funding is secured needs its budget covered."""
    event = _event(pk)
    return _event_action(
        request,
        event,
        form_class=ConfirmForm,
        act=lambda actor, event, data: services.event_confirm(actor=actor, event=event),
        done=_("The event is confirmed."),
        title=_("Confirm the event"),
        explanation=_(
            "An event held only if funding is secured can be confirmed once its budget, "
            "including every interpretation line, is covered by pledges."
        ),
        button=_("Confirm the event"),
        **(_coverage_context(funding.coverage(event)) if event.contingent_on_funding else {}),
    )


@staff_member_required
def event_postpone(request, pk: int):
    """Postpone an event not yet held; its date becomes to be determined."""
    event = _event(pk)
    return _event_action(
        request,
        event,
        form_class=PostponeForm,
        act=lambda actor, event, data: services.event_postpone(
            actor=actor, event=event, note=data["note"]
        ),
        done=_("The event is postponed; its date is now to be determined."),
        title=_("Postpone the event"),
        explanation=_(
            "The date becomes “to be determined” and the invitees are told. Give the new "
            "date when it is known by changing the event."
        ),
        button=_("Postpone"),
    )


@staff_member_required
def event_cancel(request, pk: int):
    """Cancel an event with its reason; the record stays, so why it did not happen is known."""
    event = _event(pk)
    return _event_action(
        request,
        event,
        form_class=CancelForm,
        act=lambda actor, event, data: services.event_cancel(
            actor=actor, event=event, reason=data["reason"], note=data["note"]
        ),
        done=_("The event is cancelled; its record is kept."),
        title=_("Cancel the event"),
        explanation=_(
            "The event stays on record with the reason, its budget and its pledges. "
            "This cannot be undone."
        ),
        button=_("Cancel the event"),
        danger=True,
        **_coverage_context(funding.coverage(event)),
    )


@staff_member_required
def event_record_outcome(request, pk: int):
    """Mark an event held and keep its summary, recommendations and follow-up."""
    event = _event(pk)
    return _event_action(
        request,
        event,
        form_class=OutcomeForm,
        initial=OutcomeForm.initial_for(event),
        act=lambda actor, event, data: services.event_record_outcome(
            actor=actor, event=event, data=data
        ),
        done=_("The outcome was recorded."),
        title=_("Record the outcome"),
        explanation=_(
            "The event is marked as held. The summary in English is required; the outcome "
            "is kept with the event for the Discussion Note and later reports."
        ),
        button=_("Record the outcome"),
    )


# --- funding of an event --------------------------------------------------------------


@staff_member_required
def budget_line_add(request, pk: int):
    """Add a line to an event's budget."""
    return _budget_line_page(request, _event(pk), None)


@staff_member_required
def budget_line_edit(request, pk: int):
    """Change a line of an event's budget."""
    line = get_object_or_404(BudgetLine, pk=pk)
    return _budget_line_page(request, _event(line.event_id), line)


def _budget_line_page(request, event: Event, line: BudgetLine | None):
    posted = request.method == "POST"
    form = BudgetLineForm(
        request.POST if posted else None,
        initial=BudgetLineForm.initial_for(line) if line else None,
    )
    if posted and form.is_valid():
        try:
            funding_services.budget_line_save(
                actor=request.user, data={**form.cleaned_data, "event": event}, line=line
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("The budget line was saved."))
            return redirect(EVENT_PAGE, pk=event.pk)
    return _action_page(
        request,
        event,
        form=form,
        title=_("Change a budget line") if line else _("Add a budget line"),
        explanation=_(
            "Each line is in its own currency. An interpretation line names the language "
            "interpreted into: that interpretation is offered only once its line is covered "
            "by pledges earmarked for it."
        ),
        button=_("Save"),
    )


@staff_member_required
def pledge_record(request, pk: int):
    """Record a donor's pledge to an event, earmarked for one of its lines or not."""
    event = _event(pk)
    posted = request.method == "POST"
    form = PledgeForm(request.POST if posted else None, event=event)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            # The donor record is kept only with the pledge it was made for.
            with transaction.atomic():
                donor = funding_services.donor_for(actor=request.user, **data["donor"])
                funding_services.pledge_record(
                    actor=request.user,
                    donor=donor,
                    event=event,
                    amount=data["amount"],
                    currency=data["currency"],
                    pledged_on=data["pledged_on"],
                    budget_line=data["budget_line"],
                    note=data["note"],
                )
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("The pledge was recorded."))
            return redirect(EVENT_PAGE, pk=event.pk)
    return _action_page(
        request,
        event,
        form=form,
        title=_("Record a pledge"),
        explanation=_(
            "A pledge earmarked for a line covers that line; every pledge counts toward the "
            "activity's total. Mark it received when the contribution arrives."
        ),
        button=_("Record the pledge"),
    )


def _pledge(pk: int) -> Pledge:
    return get_object_or_404(
        Pledge.objects.select_related("donor__member", "donor__organization"), pk=pk
    )


@staff_member_required
def pledge_mark_received(request, pk: int):
    """Record that a pledged contribution was received."""
    pledge = _pledge(pk)
    return _event_action(
        request,
        _event(pledge.event_id),
        form_class=PledgeReceivedForm,
        act=lambda actor, event, data: funding_services.pledge_mark_received(
            actor=actor, pledge=pledge, received_on=data["received_on"]
        ),
        done=_("The contribution is recorded as received."),
        title=_("Mark the contribution received"),
        explanation=_("%(donor)s: %(amount)s %(currency)s, pledged on %(date)s.")
        % {
            "donor": pledge.donor,
            "amount": pledge.amount,
            "currency": pledge.currency,
            "date": formats.date_format(pledge.pledged_on),
        },
        button=_("Mark received"),
    )


@staff_member_required
def pledge_withdraw(request, pk: int):
    """Record that a donor withdrew a pledge; it stays on record but covers nothing."""
    pledge = _pledge(pk)
    return _event_action(
        request,
        _event(pledge.event_id),
        form_class=PledgeWithdrawForm,
        act=lambda actor, event, data: funding_services.pledge_withdraw(
            actor=actor, pledge=pledge, note=data["note"]
        ),
        done=_("The pledge is recorded as withdrawn."),
        title=_("Withdraw the pledge"),
        explanation=_(
            "%(donor)s: %(amount)s %(currency)s. A withdrawn pledge stays on record but no "
            "longer covers anything."
        )
        % {"donor": pledge.donor, "amount": pledge.amount, "currency": pledge.currency},
        button=_("Withdraw the pledge"),
        danger=True,
    )


# --- funding of every activity --------------------------------------------------------


@staff_member_required
def funding_rates(request):
    """The stated exchange rates to the reporting currency, and a form to state one."""
    posted = request.method == "POST"
    form = ExchangeRateForm(request.POST if posted else None)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            rate = funding_services.exchange_rate_set(
                actor=request.user,
                currency=data["currency"],
                rate=data["rate"],
                valid_from=data["valid_from"],
                source=data["source"],
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            messages.success(
                request,
                _("From %(date)s, 1 %(currency)s = %(rate)s %(reporting)s.")
                % {
                    "date": formats.date_format(rate.valid_from),
                    "currency": rate.currency,
                    "rate": _plain(rate.rate),
                    "reporting": funding.reporting_currency(),
                },
            )
            return redirect("staff:funding_rates")
    return render(
        request,
        "staff/events/rates.html",
        {
            "form": form,
            "rates": [
                (rate, _plain(rate.rate))
                for rate in ExchangeRate.objects.order_by("currency", "-valid_from")
            ],
            "reporting_currency": funding.reporting_currency(),
        },
    )


def _whole(amount: decimal.Decimal) -> decimal.Decimal:
    return amount.quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP)


@staff_member_required
@require_safe
def funding_overview(request):
    """Every activity's budget, pledges, receipts and gap in the reporting currency,
    largest gap first."""
    form = OverviewFilterForm(request.GET or None)
    events = Event.objects.select_related("cycle")
    include_cancelled = False
    if form.is_valid():
        if form.cleaned_data["cycle"]:
            events = events.filter(cycle=form.cleaned_data["cycle"])
        include_cancelled = form.cleaned_data["cancelled"]
    if not include_cancelled:
        events = events.exclude(status=Event.Status.CANCELLED)
    rows = funding.funding_overview(events)
    zero = decimal.Decimal(0)
    totals = {
        "budget": sum((c.budget for _e, c in rows), zero),
        "pledged": sum((c.pledged for _e, c in rows), zero),
        "received": sum((c.received for _e, c in rows), zero),
        "gap": sum((c.gap for _e, c in rows), zero),
    }
    missing = sorted({code for _e, c in rows for code in c.missing_rates})
    chart = [
        (event.title, _whole(c.gap), event.contingent_on_funding) for event, c in rows if c.gap
    ]
    return render(
        request,
        "staff/events/overview.html",
        {
            "form": form,
            "rows": [(event, dates_text(event), c) for event, c in rows],
            "totals": totals,
            "missing_rates": missing,
            "chart": chart,
            "currency": funding.reporting_currency(),
            "rates_on": clock.today(),
        },
    )


# --- participants ---------------------------------------------------------------------


@never_cache
@staff_member_required
@require_safe
def participants_list(request, pk: int):
    """Who registered for an event, and the composition of those holding a place."""
    event = _event(pk)
    return render(
        request,
        "staff/events/participants.html",
        {
            "event": event,
            "dates": dates_text(event),
            "rows": [
                (registration, participants.region_label(registration.region))
                for registration in participants.participants_list(event)
            ],
            "composition": participants.participants_composition(event),
        },
    )


@never_cache
@staff_member_required
@ratelimit.limited_per_account(ratelimit.EXPORT)
@require_safe
def participants_download(request, pk: int, file_format: str):
    """The participants of an event as CSV, XLSX, or the sign-in sheet or badges as PDF."""
    event = _event(pk)
    try:
        download = documents.participants_file(
            actor=request.user, event=event, file_format=file_format
        )
    except NotPermitted as error:
        raise PermissionDenied(error.message) from error
    response = HttpResponse(download.content, content_type=download.content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=download.filename
    )
    return response
