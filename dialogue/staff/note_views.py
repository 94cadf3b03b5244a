"""Staff pages of the Discussion Note: the consultations with their drafts, drafting, the
editor with its preview and downloads, and issuing.

Each page parses its form and calls one service of `dialogue.documents.note_services`
(or reads the draft and renders it) and shows the service's refusal on the form or as
a message.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from dialogue.core.errors import DomainError, NotPermitted
from dialogue.core.pages import render
from dialogue.cycles.models import Consultation
from dialogue.documents import note_render, note_services, notes
from dialogue.documents.models import NoteDraft
from dialogue.staff.note_forms import DraftForm, IssueForm, NoteTextForm


def _refused(error: DomainError) -> None:
    if isinstance(error, NotPermitted):
        raise PermissionDenied(error.message) from error


def _draft(pk: int) -> NoteDraft:
    return get_object_or_404(
        NoteDraft.objects.select_related("consultation__cycle", "document", "updated_by"),
        pk=pk,
    )


@staff_member_required
@require_safe
def note_list(request):
    """Every consultation, latest first, with its note drafts per language."""
    rows = []
    for consultation in notes.consultations_with_notes():
        by_language = {draft.language: draft for draft in consultation.note_drafts.all()}
        rows.append(
            {
                "consultation": consultation,
                "drafts": [(code, name, by_language.get(code)) for code, name in _languages()],
            }
        )
    return render(request, "staff/notes/note_list.html", {"rows": rows})


def _languages():
    return [(code, str(name)) for code, name in settings.LANGUAGES]


@staff_member_required
@require_POST
def note_draft(request, pk: int):
    """Draft (or draft again) the note of a consultation in the language posted."""
    consultation = get_object_or_404(Consultation, pk=pk)
    form = DraftForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose English, French or Spanish."))
        return redirect("staff:note_list")
    try:
        draft = note_services.note_draft(
            actor=request.user, consultation=consultation, language=form.cleaned_data["language"]
        )
    except DomainError as error:
        _refused(error)
        messages.error(request, error.message)
        return redirect("staff:note_list")
    messages.success(request, _("The note has been drafted from the data."))
    return redirect("staff:note_edit", draft.pk)


def _preview(draft: NoteDraft) -> str:
    try:
        note = notes.parse(draft.text)
    except DomainError:
        return ""
    return note_render.render_fragment(note, notes.note_meta(draft.consultation, draft.language))


def _editor(request, draft: NoteDraft, form: NoteTextForm, issue_form: IssueForm | None = None):
    available = sorted(
        NoteDraft.objects.filter(consultation=draft.consultation).values_list("language", flat=True)
    )
    issued = draft.status == NoteDraft.Status.ISSUED
    if issued:
        form.fields["text"].widget.attrs["readonly"] = True
    return render(
        request,
        "staff/notes/note_edit.html",
        {
            "draft": draft,
            "consultation": draft.consultation,
            "form": form,
            "issue_form": issue_form or IssueForm(available=available),
            "preview": _preview(draft),
            "issued": issued,
        },
    )


@staff_member_required
def note_edit(request, pk: int):
    """The editor: the note's text, its preview as saved, downloads and issuing."""
    draft = _draft(pk)
    if request.method != "POST":
        form = NoteTextForm(initial={"text": draft.text, "version": draft.version})
        return _editor(request, draft, form)
    form = NoteTextForm(request.POST)
    if form.is_valid():
        try:
            draft = note_services.note_save(
                actor=request.user,
                draft=draft,
                text=form.cleaned_data["text"],
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as error:
            _refused(error)
            form.add_error("text" if error.field == "text" else None, error.message)
        else:
            messages.success(request, _("The note has been saved."))
            return redirect("staff:note_edit", draft.pk)
    return _editor(request, draft, form)


@staff_member_required
@require_safe
def note_download(request, pk: int, file_format: str):
    """The draft as it is saved, rendered as HTML, PDF or DOCX, for download."""
    if file_format not in note_render.FORMATS:
        raise Http404
    draft = _draft(pk)
    try:
        note = notes.parse(draft.text)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("staff:note_edit", draft.pk)
    meta = notes.note_meta(draft.consultation, draft.language)
    content_type, extension = note_render.FORMATS[file_format]
    response = HttpResponse(note_render.render(note, meta, file_format), content_type=content_type)
    name = note_services.file_name(draft.consultation, draft.language, extension)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_member_required
@require_POST
def note_issue(request, pk: int):
    """Issue the consultation's note in the languages ticked, as a published document."""
    consultation = get_object_or_404(Consultation, pk=pk)
    back = request.POST.get("draft")
    draft = (
        NoteDraft.objects.filter(consultation=consultation, pk=back).first()
        if str(back or "").isdigit()
        else None
    ) or NoteDraft.objects.filter(consultation=consultation).first()
    if draft is None:
        messages.error(request, _("Draft the note before issuing it."))
        return redirect("staff:note_list")
    available = sorted(
        NoteDraft.objects.filter(consultation=consultation).values_list("language", flat=True)
    )
    form = IssueForm(request.POST, available=available)
    if form.is_valid():
        try:
            document = note_services.note_issue(
                actor=request.user,
                consultation=consultation,
                languages=form.cleaned_data["languages"],
                visibility=form.cleaned_data["visibility"],
            )
        except DomainError as error:
            _refused(error)
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request, _("The note has been issued as “%(title)s”.") % {"title": document}
            )
            return redirect("staff:note_edit", draft.pk)
    draft.refresh_from_db()
    text_form = NoteTextForm(initial={"text": draft.text, "version": draft.version})
    return _editor(request, draft, text_form, issue_form=form)
