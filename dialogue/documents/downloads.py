"""A language version's file sent over HTTP, the same way from every page and the API."""

from pathlib import PurePath

from django.http import FileResponse
from django.utils.http import content_disposition_header
from django.utils.text import slugify

from dialogue.documents.models import LanguageVersion


def download_name(version: LanguageVersion) -> str:
    """A safe file name for a download: the document's English title, language, extension."""
    stem = slugify(version.document.title_en)[:80] or "document"
    suffix = PurePath(version.original_name).suffix.lower()
    if not suffix[1:].isalnum() or len(suffix) > 8:
        suffix = ""
    return f"{stem}-{version.language}{suffix}"


def file_response(version: LanguageVersion, *, filename: str | None = None) -> FileResponse:
    """The file as an attachment (named `filename`, else `download_name`) of its detected
    type, which the browser must not sniff for another and runs sandboxed if opened in
    place. Raises FileNotFoundError when the file is missing from the storage."""
    try:
        handle = version.file.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise FileNotFoundError(version.file.name) from error
    response = FileResponse(handle, content_type=version.content_type)
    response["Content-Disposition"] = content_disposition_header(
        True, filename or download_name(version)
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
