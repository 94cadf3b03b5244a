"""Input shapes of the staff pages."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from dialogue.members.imports import DEFAULT_MAX_BYTES


class MemberImportForm(forms.Form):
    file = forms.FileField(
        label=_("Member file"),
        help_text=_("CSV (UTF-8) or Excel workbook (.xlsx) with a header row."),
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    check_only = forms.BooleanField(
        label=_("Check only: report problems and what would change, import nothing"),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = getattr(settings, "MEMBER_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is too large (%(size)d bytes); the limit is %(limit)d bytes."),
                params={"size": upload.size, "limit": limit},
                code="too_large",
            )
        return upload
