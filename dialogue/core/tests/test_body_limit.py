"""RELIABILITY S11: an oversized body is refused before it is read. Django parses a form,
and writes its files to disk, as soon as anything asks for request.POST (the CSRF check
does, for anyone); the limit is checked on the declared length first."""

import io

import pytest
from django.core.handlers.wsgi import LimitedStream, WSGIHandler
from django.test import Client, RequestFactory
from django.urls import reverse

from dialogue.members.tests.factories import PersonFactory

MB = 1024 * 1024
GB = 1024 * MB


class Endless(io.RawIOBase):
    """A request body of `size` bytes made up as it is read, counting what was read."""

    def __init__(self, size: int):
        self.size = size
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        count = min(len(buffer), self.size - self.read_bytes)
        buffer[:count] = b"x" * count
        self.read_bytes += count
        return count


@pytest.fixture
def body_read(monkeypatch):
    """How many bytes of request bodies Django read."""
    read = {"bytes": 0}
    original_read, original_readline = LimitedStream.read, LimitedStream.readline

    def counted(method):
        def reading(self, *args, **kwargs):
            data = method(self, *args, **kwargs)
            read["bytes"] += len(data)
            return data

        return reading

    monkeypatch.setattr(LimitedStream, "read", counted(original_read))
    monkeypatch.setattr(LimitedStream, "readline", counted(original_readline))
    return read


def _post(client: Client, path: str, size: int):
    """A form of exactly `size` bytes: one file, in a multipart body."""
    boundary = "BoUnDaRy"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        'filename="letter.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = head + b"0" * (size - len(head) - len(tail)) + tail
    assert len(body) == size
    return client.generic(
        "POST", path, body, content_type=f"multipart/form-data; boundary={boundary}"
    )


@pytest.mark.django_db
def test_an_anonymous_form_one_byte_over_the_limit_is_refused_unread(client, settings, body_read):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = _post(client, reverse("portal:login"), limit + 1)

    assert response.status_code == 413
    assert body_read["bytes"] == 0
    assert "at most 5 MB" in response.content.decode()
    assert response["Connection"] == "close"


@pytest.mark.django_db
def test_an_anonymous_form_at_the_limit_is_read_as_usual(client, settings, body_read):
    response = _post(client, reverse("portal:login"), settings.DATA_UPLOAD_MAX_MEMORY_SIZE)

    assert response.status_code == 400
    assert body_read["bytes"] == settings.DATA_UPLOAD_MAX_MEMORY_SIZE


@pytest.mark.django_db
def test_a_delegate_gets_no_more_than_an_anonymous_visitor(client, settings, body_read):
    delegate = PersonFactory(with_account=True)
    client.force_login(delegate.user)

    response = _post(client, reverse("portal:profile"), settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    assert response.status_code == 413
    assert body_read["bytes"] == 0


@pytest.mark.django_db
def test_staff_may_send_a_file_up_to_the_largest_upload_limit_and_not_one_byte_more(
    staff_client, settings, body_read
):
    settings.DOCUMENT_MAX_BYTES = 6 * MB
    settings.LETTER_MAX_BYTES = 8 * MB
    settings.MEMBER_IMPORT_MAX_BYTES = 2 * MB
    path = reverse("staff:member_import")

    within = _post(staff_client, path, 9 * MB)
    read_within = body_read["bytes"]
    over = _post(staff_client, path, 9 * MB + 1)

    assert within.status_code == 400
    assert read_within == 9 * MB
    assert over.status_code == 413
    assert body_read["bytes"] == read_within
    assert "at most 9 MB" in over.content.decode()


@pytest.mark.django_db
def test_the_api_answers_an_oversized_body_in_its_own_error_format(client, settings):
    body = b"{" + b" " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b"}"

    response = client.generic(
        "PUT", "/api/v1/surveys/1/response", body, content_type="application/json"
    )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


@pytest.mark.django_db
@pytest.mark.parametrize("declared", [None, str(10 * GB)])
def test_a_ten_gigabyte_upload_is_never_read(declared):
    """Sent chunked (no length declared) Django reads nothing of it; declared, it is refused
    from its header."""
    body = Endless(10 * GB)
    environ = RequestFactory()._base_environ(
        PATH_INFO=reverse("portal:login"),
        REQUEST_METHOD="POST",
        CONTENT_TYPE="multipart/form-data; boundary=BoUnDaRy",
        **{"wsgi.input": body},
    )
    environ.pop("CONTENT_LENGTH", None)
    if declared:
        environ["CONTENT_LENGTH"] = declared
    else:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    statuses = []

    WSGIHandler()(environ, lambda status, headers: statuses.append(status))

    assert body.read_bytes == 0
    assert statuses[0].startswith("413" if declared else "403")


@pytest.fixture
def staff_client(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client
