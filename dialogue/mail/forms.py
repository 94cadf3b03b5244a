from django import forms
from django.utils.translation import gettext_lazy as _

from dialogue.mail.models import Message


class MessageFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *Message.Status.choices], required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *Message.Kind.choices], required=False
    )
    recipient = forms.CharField(label=_("Recipient contains"), max_length=254, required=False)
    since = forms.DateField(
        label=_("Queued from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Queued until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filters(self) -> dict:
        """The keyword arguments of selectors.message_list."""
        return {name: self.cleaned_data[name] for name in self.fields}
