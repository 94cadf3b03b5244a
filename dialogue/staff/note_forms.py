"""Input shapes of the staff pages of the Discussion Note; the rules are the services'."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from dialogue.documents.models import Document


class DraftForm(forms.Form):
    """Which language to draft the note in."""

    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class NoteTextForm(forms.Form):
    """The note's text as staff edit it, with the version they started from."""

    text = forms.CharField(
        label=_("Text of the note"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "true", "class": "note-text"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class IssueForm(forms.Form):
    """Which languages to issue, and who may read the issued note."""

    languages = forms.MultipleChoiceField(
        label=_("Languages to issue"),
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
    )
    visibility = forms.ChoiceField(
        label=_("Who may read it"),
        choices=Document.Visibility.choices,
        initial=Document.Visibility.PUBLIC,
    )

    def __init__(self, *args, available: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if available is not None:
            names = dict(settings.LANGUAGES)
            self.fields["languages"].choices = [(code, names[code]) for code in available]
            self.fields["languages"].initial = list(available)
