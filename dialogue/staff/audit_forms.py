"""The filter form of the staff page of the audit trail."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dialogue.core import selectors
from dialogue.core.models import AuditEntry


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Who (e-mail or name)"), max_length=200, required=False)
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    object_id = forms.CharField(label=_("Object id"), max_length=64, required=False)
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[("", _("Any action")), *AuditEntry.Action.choices],
        required=False,
    )
    since = forms.DateField(
        label=_("From (UTC)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
    )
    until = forms.DateField(
        label=_("To (UTC)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")},
    )
    text = forms.CharField(label=_("Object name contains"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        types = selectors.audit_object_types()
        requested = self.data.get("object_type") if self.is_bound else None
        if requested and requested not in types and len(requested) <= 100:
            # An object's history link may name a type without entries yet.
            types.append(requested)
        self.fields["object_type"].choices = [
            ("", _("Any object")),
            *((name, name) for name in sorted(types)),
        ]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        for name in ("actor", "object_id", "text"):
            if "\x00" in (data.get(name) or ""):
                self.add_error(name, _("This text contains a character that is not allowed."))
        return data

    def filters(self) -> dict:
        """The keyword arguments of selectors.audit_entries."""
        data = self.cleaned_data
        return {
            "actor": data["actor"],
            "object_type": data["object_type"],
            "object_id": data["object_id"].strip(),
            "action": data["action"],
            "since": data["since"],
            "until": data["until"],
            "text": data["text"],
        }
