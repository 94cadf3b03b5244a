"""Stored XSS: one data set with script payloads in every text field people write, rendered
through every kind of output the platform has.

Each HTML output is parsed (html.parser) and must hold no inline script from a payload, no
event-handler attribute, no `javascript:` address and no frame; each payload must still be
there as text, so an output that silently drops the data cannot pass. PDF and DOCX must
show the payload as literal text, spreadsheets must hold it as text (formula cells
escaped), JSON must carry it as data, and e-mails must be plain text with clean headers.
"""

import csv
import datetime
import io
import json
import zipfile
from html.parser import HTMLParser
from types import SimpleNamespace
from xml.etree import ElementTree

import openpyxl
import pytest
from django.apps import apps
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models

from dialogue.core import clock
from dialogue.core.errors import DomainError
from dialogue.documents.models import Document, LanguageVersion, NoteDraft
from dialogue.documents.tests.test_files import make_docx
from dialogue.documents.tests.test_notes import note_world
from dialogue.events.models import Event
from dialogue.members.models import Member, Organization, Person
from dialogue.members.tests.factories import (
    FocalPointFactory,
    MemberFactory,
    OrganizationFactory,
    PersonFactory,
    UserFactory,
)
from dialogue.surveys.models import Question
from dialogue.surveys.tests.factories import (
    CLOSES,
    DURING,
    PublishedSurveyFactory,
    option_ids,
    questions_of,
)

pytestmark = pytest.mark.django_db

# RELIABILITY §3 C 21-24, joined so that one field carries every vector.
PAYLOAD = (
    "<script>alert(1)</script>"
    '"><img src=x onerror=alert(1)>'
    "<svg onload=alert(1)>"
    '<a href="javascript:alert(1)">x</a>'
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>'
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"
)
# For fields too short for the whole of it, longest first.
SHORT_PAYLOADS = ('"><img src=x onerror=alert(1)>', "<svg onload=alert(1)>")
MARK = "alert(1)"

# Every text field people write, by model; filled with the payload once the data is built.
FILLED = {
    "members.member": [
        "name_en",
        "name_fr",
        "name_es",
        "official_name_en",
        "official_name_fr",
        "official_name_es",
        "mission_address",
        "mission_phone",
    ],
    "members.memberstatuschange": ["note"],
    "members.organization": ["acronym", "name_en", "name_fr", "name_es"],
    "members.person": ["honorific", "given_name", "family_name", "job_title"],
    "members.user": ["first_name", "last_name"],
    "cycles.cycle": ["name_en", "name_fr", "name_es"],
    "cycles.proposal": [
        "title_en",
        "title_fr",
        "title_es",
        "summary_en",
        "summary_fr",
        "summary_es",
    ],
    "cycles.guidingquestion": ["text_en", "text_fr", "text_es"],
    "cycles.consultation": ["place", "title_en", "title_fr", "title_es", "outcome_notes"],
    "cycles.expressionofinterest": ["note"],
    "cycles.decision": ["note"],
    "surveys.survey": [
        "title_en",
        "title_fr",
        "title_es",
        "introduction_en",
        "introduction_fr",
        "introduction_es",
    ],
    "surveys.question": ["text_en", "text_fr", "text_es", "tie_resolution"],
    "surveys.option": ["label_en", "label_fr", "label_es"],
    "surveys.response": ["comment"],
    "surveys.answer": ["comment"],
    "surveys.messagetemplate": ["subject", "body"],
    "events.event": [
        "title_en",
        "title_fr",
        "title_es",
        "description_en",
        "description_fr",
        "description_es",
        "cancellation_note",
        "city",
        "place",
        "outcome_summary_en",
        "outcome_summary_fr",
        "outcome_summary_es",
        "recommendations_en",
        "recommendations_fr",
        "recommendations_es",
        "follow_up_en",
        "follow_up_fr",
        "follow_up_es",
    ],
    "events.registration": ["affiliation"],
    "funding.budgetline": ["description"],
    "funding.pledge": ["note"],
    "funding.exchangerate": ["source"],
    "documents.publicationseries": ["name_en", "name_fr", "name_es"],
    "documents.document": [
        "title_en",
        "title_fr",
        "title_es",
        "summary_en",
        "summary_fr",
        "summary_es",
    ],
    "documents.languageversion": ["original_name"],
    "api.apitoken": ["name"],
}
# Text fields that are not written by people, or not as free text, with the reason.
NOT_FREE_TEXT = {
    "core.auditentry": "append-only; the audit page test shows its texts escaped",
    "core.ratecounter": "counters",
    "members.user.password": "a hash",
    "members.member.code": "ISO code, validated",
    "members.organization.country": "ISO code, validated",
    "members.person.time_zone": "an IANA zone, validated",
    "surveys.response.receipt": "made by the platform",
    "surveys.response.fingerprint": "made by the platform",
    "surveys.responseversion": "a copy of the response, made by the platform",
    "events.event.time_zone": "an IANA zone, validated",
    "events.event.country": "ISO code, validated",
    "events.invitation.token_hash": "a hash",
    "events.registration.region": "copied from the member's region",
    "funding.budgetline.currency": "ISO code, validated",
    "funding.pledge.currency": "ISO code, validated",
    "funding.exchangerate.currency": "ISO code, validated",
    "documents.languageversion.content_type": "found from the file's content",
    "documents.languageversion.checksum": "a hash",
    "documents.languageversion.text": "extracted from the file, shown only as search snippets",
    "documents.searchentry": "rebuilt from the documents",
    "documents.notedraft.text": "the note's own markup; filled with the payload separately",
    "mail": "copies of e-mails the platform wrote; checked as e-mails below",
    "api.apitoken.prefix": "made by the platform",
    "api.apitoken.hash": "a hash",
    "api.idempotencyrecord": "stored API answers",
}


def _free_text_fields():
    for model in apps.get_models():
        if not model.__module__.startswith("dialogue."):
            continue
        for field in model._meta.concrete_fields:
            if (
                isinstance(field, models.CharField | models.TextField)
                and not isinstance(field, models.EmailField | models.URLField)
                and not field.choices
            ):
                yield model._meta.label_lower, field.name


def test_every_text_field_is_filled_with_the_payload_or_has_a_reason():
    unlisted = [
        f"{label}.{name}"
        for label, name in _free_text_fields()
        if name not in FILLED.get(label, ())
        and not {label, f"{label}.{name}", label.split(".")[0]} & set(NOT_FREE_TEXT)
    ]
    assert not unlisted, f"text fields neither filled with the payload nor explained: {unlisted}"


def _fill(label: str, fields: list[str]) -> None:
    """Every row's `fields` set to the payload (the short one where it does not fit),
    followed by the row's number so unique names stay unique."""
    model = apps.get_model(label)
    pks = list(model.objects.values_list("pk", flat=True))
    assert pks, f"no {label} row to fill: extend the data set"
    for pk in pks:
        values = {}
        for name in fields:
            limit = model._meta.get_field(name).max_length
            suffix = f" {pk}"
            values[name] = next(
                payload + suffix
                for payload in (PAYLOAD, *SHORT_PAYLOADS)
                if limit is None or len(payload + suffix) <= limit
            )
        model.objects.filter(pk=pk).update(**values)


@pytest.fixture
def world(staff_user, settings, django_capture_on_commit_callbacks):
    """Every kind of record, built with the factories and services, then every text field
    people write overwritten with the payload."""
    from dialogue.api import services as api_services
    from dialogue.documents import note_services, search
    from dialogue.documents import services as documents
    from dialogue.events import registration
    from dialogue.funding import services as funding
    from dialogue.members import services as members
    from dialogue.surveys import services as surveys

    settings.SITE_URL = "https://dialogue.example.org"
    data = note_world()
    civ, tur = MemberFactory(code="CIV"), MemberFactory(code="TUR")
    members.member_change_status(
        actor=staff_user,
        member=tur,
        status=Member.Status.SUSPENDED,
        effective=datetime.date(2007, 1, 1),
        note="note",
    )
    members.member_change_status(
        actor=staff_user, member=tur, status=Member.Status.ACTIVE, note="note"
    )
    focal = FocalPointFactory(delegation=civ)
    delegate = PersonFactory(delegation=civ, with_account=True)
    OrganizationFactory()
    funding.exchange_rate_set(
        actor=staff_user, currency="EUR", rate="0.7", valid_from=datetime.date(2007, 1, 1)
    )
    api_services.token_create(actor=focal.user, name="reporting")

    # A survey delegates can still answer, one with a response, and one with results.
    now = clock.now()
    open_survey = PublishedSurveyFactory(
        actor=staff_user, cycle=data.next_cycle, opens_at=now - datetime.timedelta(days=1), now=now
    )
    answered = PublishedSurveyFactory(actor=staff_user, cycle=data.next_cycle)
    (question,) = questions_of(answered)
    surveys.response_submit(
        actor=focal.user,
        survey=answered,
        member=civ,
        choices={question.pk: [option_ids(question)[0]]},
        comment="comment",
        now=DURING,
    )
    surveys.survey_close(actor=staff_user, survey=answered, now=CLOSES)
    surveys.survey_publish_results(
        actor=staff_user, survey=answered, now=CLOSES + datetime.timedelta(days=1)
    )
    question = Question.objects.get(pk=question.pk)
    surveys.question_record_tie_resolution(
        actor=staff_user, question=question, order=option_ids(question), note="lot"
    )
    for kind in ("invitation", "reminder"):
        surveys.message_template_save(
            actor=staff_user,
            survey=open_survey,
            kind=kind,
            language="en",
            subject="{title}",
            body="Please answer {title} by {closes}: {link}",
        )

    # An event open for registration, with a delegate registered.
    start = clock.today() + datetime.timedelta(days=60)
    upcoming = Event.objects.get(pk=data.workshop.pk)
    Event.objects.filter(pk=upcoming.pk).update(
        year=start.year, start_date=start, end_date=start + datetime.timedelta(days=1)
    )
    upcoming.refresh_from_db()
    registration.registration_create(actor=focal.user, event=upcoming, person=delegate)
    with django_capture_on_commit_callbacks(execute=True):
        registration.invite_members(actor=staff_user, event=upcoming, members=[civ])

    # A published public document with a file whose name is a payload.
    document = documents.document_save(
        actor=staff_user,
        data={"kind": Document.Kind.REPORT, "title_en": "Report", "event": upcoming},
    )
    version = documents.version_upload(
        actor=staff_user,
        document=document,
        language="en",
        uploaded_file=SimpleUploadedFile("<svg onload=alert(1)>.docx", make_docx()),
    )
    documents.version_publish(actor=staff_user, version=version)
    documents.document_publish(actor=staff_user, document=document)
    series = documents.series_create(actor=staff_user, name_en="IDM Series")
    documents.document_assign_next_number(actor=staff_user, document=document, series=series)
    draft = note_services.note_draft(actor=staff_user, consultation=data.june, language="en")

    for label, fields in FILLED.items():
        _fill(label, fields)
    Event.objects.update(is_public=True)
    NoteDraft.objects.filter(pk=draft.pk).update(
        text=f"# {PAYLOAD}\n\n{PAYLOAD} [{PAYLOAD}](https://example.org/x)\n\n- {PAYLOAD}\n"
    )
    search.rebuild_index()
    mail.outbox.clear()
    return SimpleNamespace(
        staff=staff_user,
        focal=focal,
        civ=civ,
        cycle=data.cycle,
        next_cycle=data.next_cycle,
        consultation=data.june,
        proposal=data.gender,
        event=upcoming,
        held=data.seminar,
        open_survey=open_survey,
        answered=answered,
        question=question,
        document=document,
        version=LanguageVersion.objects.get(pk=version.pk),
        series=series,
        draft=draft,
        registration=upcoming.registrations.first(),
        organization=Organization.objects.first(),
        person=delegate,
    )


# Checking the outputs.

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


class _Scanner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.marks = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            squeezed = "".join((value or "").split()).lower()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            elif name in URL_ATTRIBUTES and squeezed.startswith(("javascript:", "vbscript:")):
                self.problems.append(f"<{tag} {name}={value!r}>")
            elif name == "srcdoc":
                self.problems.append(f"<{tag} srcdoc>")
        if tag in {"iframe", "mglyph", "math"} or (tag == "img" and dict(attrs).get("src") == "x"):
            self.problems.append(f"<{tag}> from a payload")
        self._in_script = tag == "script"

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self._in_script = False

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and MARK in data:
            self.problems.append("<script> holding a payload")
        elif MARK in data:
            self.marks += data.count(MARK)


def scan_html(text: str) -> _Scanner:
    scanner = _Scanner()
    scanner.feed(text)
    scanner.close()
    return scanner


def assert_html_safe(name: str, text: str, *, shows_payload: bool = True) -> None:
    scanner = scan_html(text)
    assert not scanner.problems, f"{name}: {scanner.problems}"
    if shows_payload:
        assert scanner.marks, f"{name} does not show the data: the check would be empty"


def _get(client, url, name=None):
    response = client.get(url)
    assert response.status_code == 200, f"{name or url}: {response.status_code}"
    return response


def _pages(client, urls: dict[str, str], *, quiet: tuple[str, ...] = ()) -> None:
    """Each page is safe HTML and, unless named in `quiet`, shows some of the data."""
    for name, url in urls.items():
        response = _get(client, url, name)
        assert response["Content-Type"].startswith("text/html")
        assert_html_safe(name, response.content.decode(), shows_payload=name not in quiet)


def test_public_pages_show_the_payloads_as_text(client, world):
    _pages(
        client,
        {
            "home": "/en/",
            "members": "/en/members/",
            "member": f"/en/members/{world.civ.code}/",
            "cycles": "/en/cycles/",
            "cycle": f"/en/cycles/{world.cycle.year}/",
            "next cycle": f"/en/cycles/{world.next_cycle.year}/",
            "events": "/en/events/",
            "event": f"/en/events/{world.event.pk}/",
            "held event": f"/en/events/{world.held.pk}/",
            "publications": "/en/publications/",
            "document": f"/en/publications/{world.document.pk}/",
            "series": f"/en/publications/series/{world.series.pk}/",
            "search": "/en/search/?q=alert",
        },
    )


def test_the_search_box_does_not_reflect_a_payload(client, world):
    response = client.get("/en/search/", {"q": PAYLOAD})
    assert response.status_code in (200, 400)
    assert_html_safe("search reflecting the query", response.content.decode())


def test_atom_feeds_carry_the_payloads_as_text(client, world):
    for url in ("/en/feeds/publications.atom", "/en/feeds/news.atom"):
        response = _get(client, url)
        root = ElementTree.fromstring(response.content)
        atom = "{http://www.w3.org/2005/Atom}"
        texts = 0
        for entry in root.iter(f"{atom}entry"):
            for element in entry:
                if element.get("type") == "html":
                    # Feed readers render this text as HTML.
                    assert_html_safe(
                        f"{url} {element.tag}", element.text or "", shows_payload=False
                    )
                    texts += MARK in (element.text or "")
                elif element.tag == f"{atom}title":
                    texts += MARK in (element.text or "")
        assert texts, f"{url} shows none of the data"


def test_portal_pages_show_the_payloads_as_text(client, world):
    client.force_login(world.focal.user)
    _pages(
        client,
        {
            "portal home": "/en/portal/",
            "surveys": "/en/portal/surveys/",
            "open survey": f"/en/portal/surveys/{world.open_survey.pk}/",
            "answered survey": f"/en/portal/surveys/{world.answered.pk}/",
            "receipt": f"/en/portal/surveys/{world.answered.pk}/receipt/",
            "results": f"/en/portal/surveys/{world.answered.pk}/results/",
            "events": "/en/portal/events/",
            "event": f"/en/portal/events/{world.event.pk}/",
            "delegation": "/en/portal/delegation/",
            "profile": "/en/portal/profile/",
            "tokens": "/en/portal/tokens/",
        },
    )


def test_staff_pages_show_the_payloads_as_text(client, world):
    client.force_login(world.staff)
    survey, event, document = world.open_survey, world.event, world.document
    _pages(
        client,
        {
            "cycles": "/en/staff/cycles/",
            "cycle": f"/en/staff/cycles/{world.next_cycle.pk}/",
            "proposal edit": f"/en/staff/cycles/proposals/{world.proposal.pk}/edit/",
            "consultation edit": f"/en/staff/cycles/consultations/{world.consultation.pk}/edit/",
            "interest": "/en/staff/cycles/interest/",
            "surveys": "/en/staff/surveys/",
            "survey": f"/en/staff/surveys/{survey.pk}/",
            "survey edit": f"/en/staff/surveys/{survey.pk}/edit/",
            "survey e-mails": f"/en/staff/surveys/{survey.pk}/emails/",
            "survey e-mail": f"/en/staff/surveys/{survey.pk}/emails/invitation/en/",
            "turnout": f"/en/staff/surveys/{survey.pk}/turnout/",
            "results": f"/en/staff/surveys/{world.answered.pk}/results/",
            "tie": (f"/en/staff/surveys/{world.answered.pk}/questions/{world.question.pk}/tie/"),
            "events": "/en/staff/events/",
            "event": f"/en/staff/events/{event.pk}/",
            "event edit": f"/en/staff/events/{event.pk}/edit/",
            "participants": f"/en/staff/events/{event.pk}/participants/",
            "invitations": f"/en/staff/events/{event.pk}/invitations/",
            "funding": "/en/staff/events/funding/",
            "rates": "/en/staff/events/funding/exchange-rates/",
            "training funding": f"/en/staff/events/{world.held.pk}/",
            "documents": "/en/staff/documents/",
            "document": f"/en/staff/documents/{document.pk}/",
            "document edit": f"/en/staff/documents/{document.pk}/edit/",
            "series": "/en/staff/documents/series/",
            "notes": "/en/staff/notes/",
            "note": f"/en/staff/notes/{world.draft.pk}/",
            "audit": "/en/staff/audit/",
        },
        quiet=("interest",),
    )


def test_admin_pages_show_the_payloads_as_text(client, world):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    urls = {}
    for label, obj in (
        ("members/member", world.civ),
        ("members/person", world.person),
        ("members/organization", world.organization),
        ("cycles/proposal", world.proposal),
        ("cycles/consultation", world.consultation),
        ("surveys/survey", world.open_survey),
        ("surveys/question", world.question),
        ("events/event", world.event),
        ("documents/document", world.document),
    ):
        urls[f"{label} list"] = f"/en/admin/{label}/"
        urls[label] = f"/en/admin/{label}/{obj.pk}/change/"
    urls["audit trail"] = "/en/admin/core/auditentry/"
    _pages(client, urls, quiet=("audit trail",))


def test_the_discussion_note_shows_the_payload_as_text_in_html_pdf_and_docx(client, world):
    from pypdf import PdfReader

    client.force_login(world.staff)
    base = f"/en/staff/notes/{world.draft.pk}/download"
    html = _get(client, f"{base}.html").content.decode()
    assert_html_safe("note html", html)

    pdf = PdfReader(io.BytesIO(_get(client, f"{base}.pdf").content))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "<script>alert(1)</script>" in text, "the PDF does not show the payload as text"
    for page in pdf.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A") or {}
            assert not str(action.get("/URI", "")).lower().startswith("javascript:")

    docx = zipfile.ZipFile(io.BytesIO(_get(client, f"{base}.docx").content))
    body = docx.read("word/document.xml").decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    relations = docx.read("word/_rels/document.xml.rels").decode()
    assert "javascript:" not in relations.lower()


def test_exports_hold_the_payloads_as_text(client, world):
    client.force_login(world.staff)
    survey = world.answered.pk
    csv_urls = [
        f"/en/staff/events/{world.event.pk}/participants.csv",
        f"/en/staff/exports/surveys/{survey}/responses.csv",
        f"/en/staff/exports/surveys/{survey}/results.csv",
        "/en/staff/members/export.csv",
        "/en/staff/audit/export.csv",
    ]
    for url in csv_urls:
        response = _get(client, url)
        assert response["Content-Disposition"].startswith("attachment")
        cells = [
            cell
            for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
            for cell in row
        ]
        assert any(MARK in cell for cell in cells), f"{url} holds none of the data"
    xlsx_urls = [
        f"/en/staff/events/{world.event.pk}/participants.xlsx",
        f"/en/staff/exports/surveys/{survey}/responses.xlsx",
        "/en/staff/members/export.xlsx",
    ]
    for url in xlsx_urls:
        workbook = openpyxl.load_workbook(io.BytesIO(_get(client, url).content))
        values = [
            cell.value
            for sheet in workbook.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if isinstance(cell.value, str)
        ]
        assert any(MARK in value for value in values), f"{url} holds none of the data"
        assert not any(value.startswith("=") for value in values), f"{url} has a formula"


def test_a_formula_in_a_name_is_exported_as_text(client, world):
    Person.objects.filter(pk=world.person.pk).update(given_name='=HYPERLINK("http://x","y")')
    client.force_login(world.staff)
    response = _get(client, f"/en/staff/events/{world.event.pk}/participants.csv")
    cells = [
        c for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for c in row
    ]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)


def test_the_api_returns_the_payloads_as_json_data(client, world):
    client.force_login(world.focal.user)
    for url in (
        "/api/v1/members",
        f"/api/v1/members/{world.civ.code}",
        "/api/v1/cycles",
        f"/api/v1/cycles/{world.next_cycle.year}",
        "/api/v1/events",
        f"/api/v1/events/{world.event.pk}",
        "/api/v1/documents",
        f"/api/v1/documents/{world.document.pk}",
        "/api/v1/surveys",
        f"/api/v1/surveys/{world.open_survey.pk}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("application/json"), url
        assert MARK in json.dumps(response.json()), f"{url} carries none of the data"


def test_e_mails_are_plain_text_with_one_line_subjects(world, django_capture_on_commit_callbacks):
    from dialogue.events import registration
    from dialogue.surveys import services as surveys

    with django_capture_on_commit_callbacks(execute=True):
        registration.invite_members(
            actor=world.staff, event=world.event, members=[MemberFactory(code="SEN")]
        )
        PersonFactory(delegation=Member.objects.get(code="SEN"))
        registration.invitation_resend(
            actor=world.staff, invitation=world.event.invitations.order_by("pk").last()
        )
        surveys.survey_remind_now(actor=world.staff, survey=world.open_survey, members=[world.civ])
    assert mail.outbox, "no e-mail was sent: the check would be empty"
    for message in mail.outbox:
        assert "\n" not in message.subject and "\r" not in message.subject
        for content, content_type in getattr(message, "alternatives", []):
            if content_type == "text/html":
                assert_html_safe(f"e-mail {message.subject!r}", content, shows_payload=False)
        assert message.content_subtype == "plain"
    assert any(MARK in message.body or MARK in message.subject for message in mail.outbox)


def _document_address(staff, url):
    from dialogue.documents import services

    services.document_save(
        actor=staff, data={"kind": Document.Kind.REPORT, "title_en": "R", "external_url": url}
    )


def _organization_website(staff, url):
    from dialogue.members import services

    services.organization_save(
        actor=staff, data={"kind": "academia", "name_en": "X", "website": url}
    )


def _mission_website(staff, url):
    from dialogue.members import services

    services.member_update(actor=staff, member=MemberFactory(), data={"mission_website": url})


@pytest.mark.parametrize("save", [_document_address, _organization_website, _mission_website])
@pytest.mark.parametrize("url", ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x"])
def test_a_script_address_is_refused_in_every_url_field(staff_user, save, url):
    with pytest.raises(DomainError):
        save(staff_user, url)


def test_the_scanner_catches_each_payload_when_it_is_not_escaped():
    for payload in (
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        '<a href=" javascript:alert(1)">x</a>',
        '<iframe srcdoc="x"></iframe>',
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    ):
        assert scan_html(f"<p>{payload}</p>").problems, payload


def test_the_staff_mail_page_shows_queued_e_mails_as_text(
    client, world, django_capture_on_commit_callbacks
):
    from dialogue.events import registration

    with django_capture_on_commit_callbacks(execute=True):
        registration.invite_persons(
            actor=world.staff, event=world.event, persons=[PersonFactory(delegation=world.civ)]
        )
    client.force_login(world.staff)
    _pages(client, {"mail": "/en/staff/mail/"})
