"""Input shapes of the staff pages of events, their funding and their participants.

Labels and choices come from the models' fields, so they read the same as in the admin.
The rules (an event ends after it starts, an amount is positive, a currency is an ISO
code, an interpretation line names its language, ...) are the services' own: these forms
check the shape of the input only.
"""

import zoneinfo

from django import forms
from django.db.models import Q
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dialogue.core import clock
from dialogue.cycles.models import Cycle, Proposal
from dialogue.events import rules
from dialogue.events.models import Event
from dialogue.events.selectors import dates_text
from dialogue.events.services import EVENT_FIELDS, OUTCOME_FIELDS
from dialogue.funding.models import BudgetLine, ExchangeRate, Pledge
from dialogue.funding.selectors import reporting_currency
from dialogue.members.models import Language, Member, Organization

SEASON_CHOICES = [
    ("spring", pgettext_lazy("season", "spring")),
    ("summer", pgettext_lazy("season", "summer")),
    ("autumn", pgettext_lazy("season", "autumn")),
    ("winter", pgettext_lazy("season", "winter")),
]
# The inputs of the dates that matter for each precision; the others are ignored.
DATE_PARTS = {
    Event.Precision.DAY: ("start_date", "end_date", "start_time", "end_time", "time_zone"),
    Event.Precision.MONTH: ("year", "month"),
    Event.Precision.SEASON: ("year", "seasons"),
    Event.Precision.YEAR: ("year",),
    Event.Precision.TBD: (),
}
DATE_INPUTS = ("year", "month", "seasons", "start_date", "end_date", "start_time", "end_time")


def _field(model, name: str, **kwargs) -> forms.Field:
    return model._meta.get_field(name).formfield(**kwargs)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _languages(label) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ProposalChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Proposal) -> str:
        return _("%(cycle)s: %(title)s (%(kind)s)") % {
            "cycle": obj.cycle.name,
            "title": obj.title,
            "kind": obj.get_kind_display(),
        }


class EventChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Event) -> str:
        return _("%(title)s, %(dates)s") % {"title": obj.title, "dates": dates_text(obj)}


class EventForm(forms.Form):
    """Everything staff plan about an event; its status and outcome have their own pages."""

    kind = _field(Event, "kind")
    cycle = forms.ModelChoiceField(label=_("Cycle"), queryset=Cycle.objects.order_by("-year"))
    topic = ProposalChoiceField(
        label=_("Topic"),
        queryset=Proposal.objects.none(),
        required=False,
        help_text=_("The overarching theme or workshop topic the event is about, if any."),
    )
    previous_session = EventChoiceField(
        label=_("A new session of the course"),
        queryset=Event.objects.none(),
        required=False,
        help_text=_("For a training repeated as a new session of the same course."),
    )
    title_en = _field(Event, "title_en")
    title_fr = _field(Event, "title_fr")
    title_es = _field(Event, "title_es")
    description_en = _field(Event, "description_en", widget=_text(4))
    description_fr = _field(Event, "description_fr", widget=_text(4))
    description_es = _field(Event, "description_es", widget=_text(4))

    precision = _field(
        Event,
        "precision",
        help_text=_(
            "Give the dates only as precisely as they are known: the pages never show a "
            "more precise date than the one given here."
        ),
    )
    year = forms.IntegerField(
        label=_("Year"),
        required=False,
        min_value=rules.FIRST_YEAR,
        max_value=rules.LAST_YEAR,
    )
    month = forms.TypedChoiceField(
        label=_("Month"),
        choices=[("", "—"), *MONTHS.items()],
        coerce=int,
        empty_value=None,
        required=False,
    )
    seasons = forms.MultipleChoiceField(
        label=_("Season"),
        choices=SEASON_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick two seasons for “summer or autumn”."),
    )
    start_date = _field(Event, "start_date", widget=_date_input())
    end_date = _field(
        Event,
        "end_date",
        widget=_date_input(),
        help_text=_("Leave empty for a one-day event."),
    )
    start_time = _field(Event, "start_time", widget=_time_input())
    end_time = _field(Event, "end_time", widget=_time_input())
    time_zone = _field(
        Event,
        "time_zone",
        help_text=_("The time zone of the venue, for example Europe/Zurich or America/Bogota."),
    )

    city = _field(Event, "city")
    country = _field(Event, "country")
    place = _field(Event, "place")
    host = forms.ModelChoiceField(
        label=_("Host"),
        queryset=Organization.objects.order_by("name_en"),
        required=False,
    )
    partners = forms.ModelMultipleChoiceField(
        label=_("Partners"),
        queryset=Organization.objects.order_by("name_en"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "pick-list"}),
    )

    audience = _field(Event, "audience")
    invitation_only = _field(Event, "invitation_only")
    capacity = _field(Event, "capacity")
    requires_approval = _field(Event, "requires_approval")
    expected_participants = _field(Event, "expected_participants")
    working_languages = _languages(_("Working languages"))
    interpretation_languages = _languages(_("Interpretation requested into"))
    contingent_on_funding = _field(
        Event,
        "contingent_on_funding",
        help_text=_("Such an event cannot be confirmed while its budget is not covered."),
    )
    is_public = _field(Event, "is_public")

    GROUPS = (
        (_("The event"), ("kind", "cycle", "topic", "previous_session")),
        (
            _("Title and description"),
            (
                "title_en",
                "title_fr",
                "title_es",
                "description_en",
                "description_fr",
                "description_es",
            ),
        ),
        (_("Venue"), ("city", "country", "place", "host", "partners")),
        (
            _("Audience"),
            (
                "audience",
                "invitation_only",
                "requires_approval",
                "capacity",
                "expected_participants",
            ),
        ),
        (_("Languages"), ("working_languages", "interpretation_languages")),
        (_("Funding and publication"), ("contingent_on_funding", "is_public")),
    )

    def __init__(self, *args, event: Event | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # A withdrawn proposal is offered no more, except to the event already about it.
        current_topic = event.topic_id if event is not None else None
        self.fields["topic"].queryset = (
            Proposal.objects.select_related("cycle")
            .filter(~Q(status=Proposal.Status.WITHDRAWN) | Q(pk=current_topic))
            .order_by("-cycle__year", "kind", "position", "id")
        )
        sessions = Event.objects.filter(kind=Event.Kind.TRAINING)
        if event is not None:
            sessions = sessions.exclude(pk=event.pk)
        self.fields["previous_session"].queryset = sessions.order_by("-start_date", "-id")
        self.fields["country"].widget.attrs.update({"size": 4, "autocapitalize": "characters"})

    @staticmethod
    def initial_for(event: Event) -> dict:
        """The form's values for an event as it is stored."""
        initial = {name: getattr(event, name) for name in EVENT_FIELDS if hasattr(event, name)}
        initial["seasons"] = list(event.seasons or [])
        initial["partners"] = list(event.partners.all())
        return initial

    @staticmethod
    def initial_for_new_session(event: Event) -> dict:
        """A copy of a course's session as the start of its next one: dates to be given."""
        initial = EventForm.initial_for(event)
        for name in DATE_INPUTS:
            initial.pop(name, None)
        initial["precision"] = Event.Precision.TBD
        initial["previous_session"] = event
        return initial

    def grouped(self):
        """The fields outside the dates, in labelled groups, for the template."""
        return [(legend, [self[name] for name in names]) for legend, names in self.GROUPS]

    def date_parts(self):
        """The inputs of the dates by precision: {part: [bound fields]}."""
        return {
            "day": [self[n] for n in DATE_PARTS[Event.Precision.DAY]],
            "year": [self["year"]],
            "month": [self["month"]],
            "season": [self["seasons"]],
        }

    def clean_country(self):
        return (self.cleaned_data.get("country") or "").strip().upper()

    def clean_time_zone(self):
        value = (self.cleaned_data.get("time_zone") or "").strip()
        if value not in zoneinfo.available_timezones():
            raise forms.ValidationError(
                _("“%(zone)s” is not a time zone; write it as Region/City, e.g. Europe/Zurich."),
                params={"zone": value[:64]},
                code="time_zone",
            )
        return value

    def clean(self):
        """Inputs that do not belong to the chosen precision are ignored, even holding junk."""
        cleaned = super().clean()
        kept = DATE_PARTS.get(cleaned.get("precision"), DATE_INPUTS)
        for name in DATE_INPUTS:
            if name not in kept:
                self._errors.pop(name, None)
                cleaned[name] = [] if name == "seasons" else None
        if "time_zone" not in kept and "time_zone" in self._errors:
            del self._errors["time_zone"]
            cleaned["time_zone"] = self.fields["time_zone"].initial
        return cleaned

    def data_for_service(self) -> tuple[dict, list]:
        """The values event_save takes, and the partners apart."""
        data = dict(self.cleaned_data)
        partners = list(data.pop("partners", []))
        data["seasons"] = list(data.get("seasons") or [])
        return {name: data[name] for name in EVENT_FIELDS if name in data}, partners


class EventFilterForm(forms.Form):
    cycle = forms.ModelChoiceField(
        label=_("Cycle"),
        queryset=Cycle.objects.order_by("-year"),
        required=False,
        empty_label=_("All cycles"),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *Event.Kind.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *Event.Status.choices],
        required=False,
    )


class OverviewFilterForm(forms.Form):
    cycle = forms.ModelChoiceField(
        label=_("Cycle"),
        queryset=Cycle.objects.order_by("-year"),
        required=False,
        empty_label=_("All cycles"),
    )
    cancelled = forms.BooleanField(label=_("Include cancelled activities"), required=False)


# --- status -------------------------------------------------------------------------


class ConfirmForm(forms.Form):
    """Nothing to fill in: the button confirms, and refusals show as the form's errors."""


class PostponeForm(forms.Form):
    note = forms.CharField(
        label=_("Why, and what is known of a new date"),
        required=False,
        widget=_text(3),
    )


class CancelForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason for cancelling"),
        choices=Event.CancellationReason.choices,
        widget=forms.RadioSelect,
    )
    note = _field(Event, "cancellation_note", widget=_text(3))


class OutcomeForm(forms.Form):
    outcome_summary_en = _field(Event, "outcome_summary_en", widget=_text(5))
    outcome_summary_fr = _field(Event, "outcome_summary_fr", widget=_text(5))
    outcome_summary_es = _field(Event, "outcome_summary_es", widget=_text(5))
    recommendations_en = _field(Event, "recommendations_en", widget=_text(4))
    recommendations_fr = _field(Event, "recommendations_fr", widget=_text(4))
    recommendations_es = _field(Event, "recommendations_es", widget=_text(4))
    follow_up_en = _field(Event, "follow_up_en", widget=_text(3))
    follow_up_fr = _field(Event, "follow_up_fr", widget=_text(3))
    follow_up_es = _field(Event, "follow_up_es", widget=_text(3))

    @staticmethod
    def initial_for(event: Event) -> dict:
        return {name: getattr(event, name) for name in OUTCOME_FIELDS}


# --- funding ------------------------------------------------------------------------


def _currency(**kwargs) -> forms.CharField:
    return forms.CharField(
        label=_("Currency"),
        max_length=3,
        help_text=_("ISO 4217 code, for example USD, EUR or CHF."),
        widget=forms.TextInput(attrs={"size": 4, "autocapitalize": "characters"}),
        **kwargs,
    )


class BudgetLineForm(forms.Form):
    kind = _field(BudgetLine, "kind")
    language = _field(
        BudgetLine,
        "language",
        help_text=_("For an interpretation line: the language interpreted into."),
    )
    description = _field(BudgetLine, "description")
    amount = _field(BudgetLine, "amount")
    currency = _currency()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = reporting_currency()

    @staticmethod
    def initial_for(line: BudgetLine) -> dict:
        return {name: getattr(line, name) for name in BudgetLineForm.base_fields}


class DonorChoiceField(forms.ChoiceField):
    """A Member or a stakeholder organization, as "member-<id>" or "organization-<id>"."""

    def __init__(self, **kwargs):
        super().__init__(choices=(), **kwargs)

    def load(self) -> None:
        members = [(f"member-{m.pk}", m.name) for m in Member.objects.order_by("name_en")]
        organizations = [
            (f"organization-{o.pk}", str(o)) for o in Organization.objects.order_by("name_en")
        ]
        self.choices = [
            ("", "—"),
            (_("Members"), members),
            (_("Stakeholder organizations"), organizations),
        ]

    def to_donor(self, value: str) -> dict:
        kind, _sep, pk = value.partition("-")
        model = Member if kind == "member" else Organization
        return {kind: model.objects.get(pk=int(pk))}


class BudgetLineChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: BudgetLine) -> str:
        label = obj.get_kind_display()
        if obj.language:
            label = _("%(kind)s into %(language)s") % {
                "kind": label,
                "language": obj.get_language_display(),
            }
        if obj.description:
            label = f"{label}: {obj.description}"
        return _("%(line)s (%(amount)s %(currency)s)") % {
            "line": label,
            "amount": obj.amount,
            "currency": obj.currency,
        }


class PledgeForm(forms.Form):
    donor = DonorChoiceField(
        label=_("Donor"),
        help_text=_("A Member (for its Government) or a stakeholder organization."),
    )
    budget_line = BudgetLineChoiceField(
        label=_("Earmarked for"),
        queryset=BudgetLine.objects.none(),
        required=False,
        empty_label=_("Not earmarked: the activity as a whole"),
    )
    amount = _field(Pledge, "amount")
    currency = _currency()
    pledged_on = _field(Pledge, "pledged_on", widget=_date_input())
    note = _field(Pledge, "note")

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["donor"].load()
        self.fields["budget_line"].queryset = BudgetLine.objects.filter(event=event)
        self.fields["currency"].initial = reporting_currency()
        self.fields["pledged_on"].initial = clock.today

    def clean_donor(self) -> dict:
        return self.fields["donor"].to_donor(self.cleaned_data["donor"])


class PledgeReceivedForm(forms.Form):
    received_on = _field(Pledge, "received_on", required=True, widget=_date_input())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = clock.today


class PledgeWithdrawForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        help_text=_("For example the donor's letter withdrawing the pledge."),
    )


class ExchangeRateForm(forms.Form):
    currency = _currency()
    rate = _field(ExchangeRate, "rate")
    valid_from = _field(ExchangeRate, "valid_from", widget=_date_input())
    source = _field(ExchangeRate, "source")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = ""
        self.fields["valid_from"].initial = clock.today
        self.fields["rate"].help_text = _(
            "How many units of the reporting currency (%(currency)s) one unit is worth."
        ) % {"currency": reporting_currency()}
