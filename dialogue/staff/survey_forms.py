"""Input shapes of the staff survey pages; the rules themselves are in the surveys services."""

import datetime
import zoneinfo
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dialogue.cycles.models import Consultation, Cycle, Proposal
from dialogue.surveys import rules, selectors
from dialogue.surveys.models import Question, Survey

GENEVA = zoneinfo.ZoneInfo("Europe/Zurich")
# The first bytes of the files accepted as a scanned letter, and the extension they get.
LETTER_SIGNATURES = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
)
SURVEY_TEXT_FIELDS = (
    "title_en",
    "title_fr",
    "title_es",
    "introduction_en",
    "introduction_fr",
    "introduction_es",
    "audience",
    "observers_counted",
)


class GenevaDateTimeField(forms.DateTimeField):
    """A date and time typed in Geneva time (Europe/Zurich), whatever the active time zone;
    the value is aware and has a time in UTC."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def to_python(self, value):
        with timezone.override(GENEVA):
            result = super().to_python(value)
        # It is stored in UTC, where the first minutes of year 1 in Geneva (or the last ones
        # of year 9999 with an offset behind UTC) fall outside the years a datetime holds.
        if result is not None:
            try:
                result.astimezone(datetime.UTC)
            except OverflowError as error:
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid"
                ) from error
        return result

    def prepare_value(self, value):
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            return timezone.localtime(value, GENEVA)
        return value


class ReminderDaysField(forms.CharField):
    """Whole numbers of days before the close, written "7, 2"."""

    default_error_messages = {
        "invalid": _("Write whole numbers of days separated by commas, for example 7, 2."),
    }

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(day) for day in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        days = []
        for part in text.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            # isdecimal, not isdigit: "²" is a digit that int() does not read.
            if not part.isdecimal():
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            try:
                days.append(int(part))
            except ValueError as error:  # more digits than int() reads (4300)
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid"
                ) from error
        return days


class SurveyForm(forms.Form):
    """A survey's texts and settings; the cycle and consultation only when it is created."""

    def __init__(self, *args, creating: bool = False, frozen: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            self.fields["cycle"] = forms.ModelChoiceField(
                label=_("Cycle"), queryset=Cycle.objects.order_by("-year")
            )
            self.fields["consultation"] = forms.ModelChoiceField(
                label=_("Following the consultation"),
                queryset=Consultation.objects.select_related("cycle").order_by("-held_on"),
                required=False,
                help_text=_("The informal consultation that reached no agreement, if any."),
            )
        self.fields.update(forms.fields_for_model(Survey, fields=SURVEY_TEXT_FIELDS))
        self.fields["reminder_days"] = ReminderDaysField(
            label=_("Reminders (days before the close)"),
            required=False,
            initial=list(rules.DEFAULT_REMINDER_DAYS) if creating else None,
            help_text=(
                _("For example 7, 2: reminders seven and two days before the close.")
                if creating
                else _(
                    "For example 7, 2: reminders seven and two days before the close. "
                    "Leave empty for no reminder."
                )
            ),
        )
        if frozen:
            for name in ("audience", "observers_counted"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _(
                    "Fixed once the survey is published, so that it is counted as announced."
                )

    def clean(self):
        cleaned = super().clean()
        cycle, consultation = cleaned.get("cycle"), cleaned.get("consultation")
        if cycle and consultation and consultation.cycle_id != cycle.pk:
            self.add_error(
                "consultation", _("This consultation belongs to another cycle than the survey.")
            )
        return cleaned

    def data_for_service(self) -> dict:
        """The fields the survey services take, as a dict."""
        return {
            name: self.cleaned_data[name]
            for name in (*SURVEY_TEXT_FIELDS, "reminder_days")
            if name in self.cleaned_data
        }


class QuestionForm(forms.Form):
    """A question: its text in three languages, its kind and how it is counted."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                Question,
                fields=(
                    "text_en",
                    "text_fr",
                    "text_es",
                    "kind",
                    "method",
                    "max_choices",
                    "required",
                    "option_comments",
                ),
            )
        )
        for name in ("text_en", "text_fr", "text_es"):
            self.fields[name].widget.attrs["rows"] = 2
        self.fields["method"].help_text = _(
            "Choose one: plurality. Choose up to k: approval. Ranking: plurality of first "
            "choices, Borda, instant-runoff or Schulze."
        )


class OptionForm(forms.Form):
    """One option: a proposal of the cycle, or a label of its own (English at least)."""

    def __init__(self, *args, proposals=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposal"] = forms.ModelChoiceField(
            label=_("Proposal"),
            queryset=proposals if proposals is not None else Proposal.objects.none(),
            required=False,
        )
        self.fields["label_en"] = forms.CharField(
            label=_("Label (English)"), max_length=300, required=False
        )
        self.fields["label_fr"] = forms.CharField(
            label=_("Label (French)"), max_length=300, required=False
        )
        self.fields["label_es"] = forms.CharField(
            label=_("Label (Spanish)"), max_length=300, required=False
        )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("proposal") and not cleaned.get("label_en"):
            self.add_error("label_en", _("Choose a proposal or give at least the English label."))
        return cleaned

    def option(self) -> dict | None:
        """The option as `question_add` takes it; None for an empty row."""
        if not self.has_changed():
            return None
        spec = {
            f"label_{lang}": self.cleaned_data[f"label_{lang}"]
            for lang in ("en", "fr", "es")
            if self.cleaned_data.get(f"label_{lang}")
        }
        if self.cleaned_data.get("proposal"):
            spec["proposal"] = self.cleaned_data["proposal"]
        return spec


OptionFormSet = forms.formset_factory(OptionForm, extra=6, max_num=30, validate_max=True)


class WeightForm(forms.Form):
    def __init__(self, *args, survey: Survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"] = forms.ModelChoiceField(
            label=_("Delegation"), queryset=selectors.eligible_members(survey)
        )
        self.fields["weight"] = forms.DecimalField(
            label=_("Weight"),
            max_digits=8,
            decimal_places=3,
            min_value=Decimal("0.001"),
            help_text=_("Delegations without a weight count 1."),
        )


class MessageTextForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_(
            "Placeholders: {title} the survey's title, {closes} its closing time, "
            "{link} the address of the survey in the portal, {delegation} the delegation's name."
        ),
    )


class PublishForm(forms.Form):
    opens_at = GenevaDateTimeField(
        label=_("Opens at (Geneva time)"),
        required=False,
        help_text=_("Leave empty to open at once."),
    )
    closes_at = GenevaDateTimeField(
        label=_("Closes at (Geneva time)"),
        required=False,
        help_text=_("Leave empty to close two weeks after the opening."),
    )


class ConfirmForm(forms.Form):
    """Nothing to fill in: the button confirms, and refusals show as the form's errors."""


class ExtendForm(forms.Form):
    closes_at = GenevaDateTimeField(label=_("New closing time (Geneva time)"))


class ReminderForm(forms.Form):
    """The delegations to remind now, among those that have not responded."""

    def __init__(self, *args, survey: Survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"] = forms.ModelMultipleChoiceField(
            label=_("Delegations to remind"),
            queryset=selectors.members_without_response(survey),
            widget=forms.CheckboxSelectMultiple,
            error_messages={"required": _("Choose at least one delegation to remind.")},
        )


class WrittenResponseForm(forms.Form):
    """Who answered in writing, and the scanned letter or note verbale."""

    def __init__(self, *args, survey: Survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"] = forms.ModelChoiceField(
            label=_("Delegation"), queryset=selectors.eligible_members(survey)
        )
        self.fields["letter"] = forms.FileField(
            label=_("Scanned letter or note verbale"),
            help_text=_("PDF, PNG or JPEG, at most 10 MB."),
            widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
        )

    def clean_letter(self):
        upload = self.cleaned_data["letter"]
        if upload.size > settings.LETTER_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large (%(size)d bytes); the limit is 10 MB."),
                params={"size": upload.size},
                code="too_large",
            )
        upload.seek(0)
        start = upload.read(16)
        upload.seek(0)
        for signature, extension in LETTER_SIGNATURES:
            if start.startswith(signature):
                # The stored name comes from the content, never from the uploaded name.
                upload.name = f"letter.{extension}"
                return upload
        raise forms.ValidationError(
            _("The file is not a PDF, PNG or JPEG file."), code="not_pdf_or_image"
        )

    def clean(self):
        cleaned = super().clean()
        member, upload = cleaned.get("member"), cleaned.get("letter")
        if member and upload:
            upload.name = f"{member.code.lower()}-{upload.name}"
        return cleaned


class TieResolutionForm(forms.Form):
    """The order of every option, strongest first, and how the tie was resolved."""

    def __init__(self, *args, question: Question, **kwargs):
        super().__init__(*args, **kwargs)
        options = list(question.options.all())
        choices = [("", "—")] + [(str(o.pk), o.label) for o in options]
        self.size = len(options)
        for place in range(1, self.size + 1):
            self.fields[f"place_{place}"] = forms.TypedChoiceField(
                label=_("Place %(place)d") % {"place": place},
                choices=choices,
                coerce=int,
            )
        self.fields["note"] = forms.CharField(
            label=_("How the tie was resolved"),
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=_("For example: by drawing lots at the consultation of 12 November."),
        )

    def clean(self):
        cleaned = super().clean()
        order = [cleaned.get(f"place_{p}") for p in range(1, self.size + 1)]
        if all(order) and len(set(order)) != len(order):
            raise forms.ValidationError(_("Each option must have its own place."), code="repeated")
        return cleaned

    def order(self) -> list[int]:
        """Option ids, strongest first; call after is_valid()."""
        return [self.cleaned_data[f"place_{p}"] for p in range(1, self.size + 1)]
