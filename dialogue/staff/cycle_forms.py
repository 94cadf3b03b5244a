"""Input shapes of the staff pages of the yearly cycle.

Labels and choices come from the models' fields, so they read the same as in the admin.
The rules (a topic belongs to a theme of the cycle, a decision names its basis, ...) are
the services' own: these forms check the shape of the input only.
"""

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from dialogue.core import clock
from dialogue.cycles.models import (
    Consultation,
    Cycle,
    Decision,
    ExpressionOfInterest,
    GuidingQuestion,
    Proposal,
)
from dialogue.members.models import Member
from dialogue.surveys.models import Survey


def _field(model, name: str, **kwargs) -> forms.Field:
    return model._meta.get_field(name).formfield(**kwargs)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _short(widget_rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": widget_rows})


class ConsultationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Consultation) -> str:
        return _("%(title)s, %(date)s (%(outcome)s)") % {
            "title": obj.title,
            "date": date_format(obj.held_on),
            "outcome": obj.get_outcome_display(),
        }


class SurveyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Survey) -> str:
        return _("%(title)s (%(status)s)") % {
            "title": obj.title,
            "status": obj.get_status_display(),
        }


class ProposalChoicesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Proposal) -> str:
        return _("%(title)s (%(kind)s, %(status)s)") % {
            "title": obj.title,
            "kind": obj.get_kind_display(),
            "status": obj.get_status_display(),
        }


class CycleForm(forms.Form):
    year = _field(Cycle, "year")
    name_en = _field(
        Cycle, "name_en", required=False, help_text=_("Leave empty for “IDM” and the year.")
    )
    name_fr = _field(Cycle, "name_fr")
    name_es = _field(Cycle, "name_es")
    status = _field(Cycle, "status")

    @classmethod
    def initial_for(cls, cycle: Cycle) -> dict:
        return {name: getattr(cycle, name) for name in cls.base_fields}


class ProposalForm(forms.Form):
    kind = _field(Proposal, "kind", initial=Proposal.Kind.THEME)
    theme = forms.ModelChoiceField(
        label=_("Under the theme"),
        queryset=Proposal.objects.none(),
        required=False,
        help_text=_("For a workshop topic: the overarching theme it belongs to."),
    )
    position = _field(Proposal, "position")
    title_en = _field(Proposal, "title_en")
    title_fr = _field(Proposal, "title_fr")
    title_es = _field(Proposal, "title_es")
    summary_en = _field(Proposal, "summary_en", widget=_short(6))
    summary_fr = _field(Proposal, "summary_fr", widget=_short(6))
    summary_es = _field(Proposal, "summary_es", widget=_short(6))
    proposer = forms.ModelChoiceField(
        label=_("Proposed by"),
        queryset=Member.objects.order_by("name_en"),
        required=False,
        empty_label=_("The Administration"),
    )

    def __init__(self, *args, cycle: Cycle, proposal: Proposal | None = None, **kwargs):
        if proposal is not None:
            kwargs.setdefault(
                "initial",
                {name: getattr(proposal, name) for name in self.base_fields},
            )
        super().__init__(*args, **kwargs)
        themes = Proposal.objects.filter(cycle=cycle, kind=Proposal.Kind.THEME)
        if proposal is not None:
            themes = themes.exclude(pk=proposal.pk)
        self.fields["theme"].queryset = themes.order_by("position", "id")


class GuidingQuestionForm(forms.Form):
    en = _field(GuidingQuestion, "text_en", required=False, widget=_short(2))
    fr = _field(GuidingQuestion, "text_fr", widget=_short(2))
    es = _field(GuidingQuestion, "text_es", widget=_short(2))


GuidingQuestionFormSet = forms.formset_factory(
    GuidingQuestionForm, extra=3, can_order=True, can_delete=True
)


def questions_initial(proposal: Proposal) -> list[dict[str, str]]:
    """A proposal's guiding questions as the formset's initial rows, in their order."""
    return [{"en": q.text_en, "fr": q.text_fr, "es": q.text_es} for q in proposal.questions.all()]


def questions_from(formset) -> list[dict[str, str]]:
    """The rows of a valid formset in the order given, without deleted and empty rows."""
    rows = []
    for form in formset.ordered_forms:
        row = {language: form.cleaned_data.get(language, "") for language in ("en", "fr", "es")}
        if any(text.strip() for text in row.values()):
            rows.append(row)
    return rows


class ConsultationForm(forms.Form):
    held_on = _field(Consultation, "held_on", widget=_date_input())
    place = _field(Consultation, "place")
    title_en = _field(Consultation, "title_en")
    title_fr = _field(Consultation, "title_fr")
    title_es = _field(Consultation, "title_es")
    proposals = ProposalChoicesField(
        label=_("Proposals discussed"),
        queryset=Proposal.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, cycle: Cycle, consultation: Consultation | None = None, **kwargs):
        if consultation is not None:
            initial = {name: getattr(consultation, name) for name in self.base_fields}
            initial["proposals"] = list(consultation.proposals.all())
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.fields["proposals"].queryset = cycle.proposals.order_by("kind", "position", "id")


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (Consultation.Outcome.AGREEMENT, Consultation.Outcome.AGREEMENT.label),
            (Consultation.Outcome.NO_AGREEMENT, Consultation.Outcome.NO_AGREEMENT.label),
        ],
    )
    agreed_proposal = forms.ModelChoiceField(
        label=_("Agreed proposal"),
        queryset=Proposal.objects.none(),
        required=False,
        help_text=_("When the consultation agreed: the proposal it agreed on."),
    )
    notes = _field(Consultation, "outcome_notes", widget=_short(4))

    def __init__(self, *args, consultation: Consultation, **kwargs):
        if consultation.outcome != Consultation.Outcome.PENDING:
            kwargs.setdefault(
                "initial",
                {
                    "outcome": consultation.outcome,
                    "agreed_proposal": consultation.agreed_proposal,
                    "notes": consultation.outcome_notes,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["agreed_proposal"].queryset = consultation.proposals.order_by(
            "kind", "position", "id"
        )


class InterestForm(forms.Form):
    member = forms.ModelChoiceField(
        label=_("Who"),
        queryset=Member.objects.order_by("name_en"),
        required=False,
        empty_label=_("The membership as a whole"),
    )
    consultation = ConsultationChoiceField(
        label=_("At the consultation"),
        queryset=Consultation.objects.order_by("-held_on", "-id"),
        required=False,
    )
    survey = SurveyChoiceField(
        label=_("In the survey"),
        queryset=Survey.objects.order_by("-id"),
        required=False,
        help_text=_("Give the consultation, the survey, or both."),
    )
    expressed_on = _field(ExpressionOfInterest, "expressed_on", widget=_date_input())
    note = _field(ExpressionOfInterest, "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expressed_on"].initial = clock.today


class DecisionForm(forms.Form):
    subject = _field(Decision, "subject", initial=Decision.Subject.THEME)
    basis = _field(Decision, "basis", choices=Decision.Basis.choices)
    consultation = ConsultationChoiceField(
        label=_("Consultation"),
        queryset=Consultation.objects.none(),
        required=False,
        help_text=_("For a decision by consensus: the consultation that agreed."),
    )
    survey = SurveyChoiceField(
        label=_("Survey"),
        queryset=Survey.objects.none(),
        required=False,
        help_text=_("For a decision on a survey's result: the survey, once it is closed."),
    )
    proposals = ProposalChoicesField(
        label=_("What was selected"),
        queryset=Proposal.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("One overarching theme, or the workshop topics selected."),
    )
    decided_on = _field(Decision, "decided_on", widget=_date_input())
    note = _field(Decision, "note", widget=_short(4))

    def __init__(self, *args, cycle: Cycle, current: dict[str, Decision], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consultation"].queryset = cycle.consultations.order_by("-held_on", "-id")
        self.fields["survey"].queryset = cycle.surveys.order_by("-id")
        self.fields["proposals"].queryset = cycle.proposals.order_by("kind", "position", "id")
        self.fields["decided_on"].initial = clock.today
        if current:
            self.fields["supersede"] = forms.BooleanField(
                label=_("This decision supersedes the current decision on the same subject"),
                required=False,
                help_text=_(
                    "A decision already exists (see above). The earlier decision is kept in "
                    "the history, marked as superseded."
                ),
            )
