"""Input shapes of the staff pages of documents, language versions and publication series.

Labels and choices come from the models' fields, so they read the same as in the admin.
The rules (an English title, an http(s) address for material published elsewhere, what
a file may contain, when a document may be published or numbered) are the services'
own: these forms check the shape of the input only.
"""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from dialogue.cycles.models import Cycle
from dialogue.documents.files import accepted_extensions
from dialogue.documents.models import Document, PublicationSeries
from dialogue.documents.services import DOCUMENT_FIELDS
from dialogue.events.models import Event
from dialogue.staff.event_forms import EventChoiceField


def _field(model, name: str, **kwargs) -> forms.Field:
    return model._meta.get_field(name).formfield(**kwargs)


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class CycleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Cycle) -> str:
        return obj.name


class SeriesChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PublicationSeries) -> str:
        return _("%(series)s (next number: %(number)d)") % {
            "series": obj.name,
            "number": obj.next_number,
        }


def _cycles() -> CycleChoiceField:
    return CycleChoiceField(
        label=_("Cycle"), queryset=Cycle.objects.order_by("-year"), required=False
    )


def _events() -> EventChoiceField:
    return EventChoiceField(
        label=_("Event"),
        queryset=Event.objects.select_related("cycle").order_by("-start_date", "-id"),
        required=False,
    )


class DocumentForm(forms.Form):
    """A document's description: its status, series number and files have their own pages."""

    kind = _field(Document, "kind")
    title_en = _field(Document, "title_en")
    title_fr = _field(Document, "title_fr")
    title_es = _field(Document, "title_es")
    summary_en = _field(Document, "summary_en", widget=_text(4))
    summary_fr = _field(Document, "summary_fr", widget=_text(4))
    summary_es = _field(Document, "summary_es", widget=_text(4))
    cycle = _cycles()
    event = _events()
    visibility = _field(Document, "visibility")
    # A text input: the service decides which addresses are accepted, with its own message.
    external_url = forms.CharField(
        label=Document._meta.get_field("external_url").verbose_name,
        help_text=_(
            "For material published elsewhere: its address, starting with https:// or "
            "http://. Leave empty for a document with files of its own."
        ),
        max_length=Document._meta.get_field("external_url").max_length,
        required=False,
    )

    @staticmethod
    def initial_for(document: Document) -> dict:
        """The form's values for a document as it is stored."""
        return {name: getattr(document, name) for name in DOCUMENT_FIELDS}

    def data_for_service(self) -> dict:
        """The values document_save takes."""
        return {name: self.cleaned_data[name] for name in DOCUMENT_FIELDS}


class DocumentFilterForm(forms.Form):
    q = forms.CharField(label=_("Title contains"), max_length=200, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *Document.Kind.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *Document.Status.choices],
        required=False,
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=[("", _("Any visibility")), *Document.Visibility.choices],
        required=False,
    )
    cycle = CycleChoiceField(
        label=_("Cycle"),
        queryset=Cycle.objects.order_by("-year"),
        required=False,
        empty_label=_("All cycles"),
    )
    event = EventChoiceField(
        label=_("Event"),
        queryset=Event.objects.order_by("-start_date", "-id"),
        required=False,
        empty_label=_("All events"),
    )
    series = forms.ModelChoiceField(
        label=_("Series"),
        queryset=PublicationSeries.objects.order_by("name_en"),
        required=False,
        empty_label=_("All series"),
    )

    def filters(self) -> dict:
        """The keyword arguments of selectors.document_staff_list."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "status": data["status"],
            "visibility": data["visibility"],
            "cycle": data["cycle"],
            "event": data["event"],
            "series": data["series"],
            "text": data["q"],
        }


class VersionUploadForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    # An empty file reaches the service, which refuses it with its own message.
    file = forms.FileField(
        label=_("File"),
        allow_empty_file=True,
        help_text=_(
            "PDF, Word, Excel, PowerPoint, OpenDocument text or plain text. The file "
            "replaces the one already given in that language, if any, and keeps its status: "
            "a published language version stays published with the new file."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(accepted_extensions())}),
    )


class ConfirmForm(forms.Form):
    """Nothing to fill in: the button confirms, and refusals show as the form's errors."""


class WithdrawForm(forms.Form):
    note = forms.CharField(
        label=_("Why the document is withdrawn"),
        max_length=500,
        widget=_text(3),
        help_text=_("Kept in the document's history."),
    )


class NumberForm(forms.Form):
    series = SeriesChoiceField(
        label=_("Series"),
        queryset=PublicationSeries.objects.order_by("name_en"),
        empty_label=None,
    )


class SeriesForm(forms.Form):
    name_en = _field(PublicationSeries, "name_en")
    name_fr = _field(PublicationSeries, "name_fr")
    name_es = _field(PublicationSeries, "name_es")
    next_number = forms.IntegerField(
        label=_("First number"),
        min_value=1,
        initial=1,
        help_text=_("For a series already under way, the number its next publication takes."),
    )
