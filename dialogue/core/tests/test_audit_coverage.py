"""Every write path leaves an audit entry for every row it writes, in the same transaction.

The write paths are found, not listed: every public function of a `*services*` module of
the project, and every public function elsewhere that opens a transaction
(`@transaction.atomic`). Each must either have a case below (valid input built with the
factories) or be named in HELPERS with the reason it writes nothing of its own, so a new
service without a case fails `test_every_write_function_has_a_case`, naming it.

While a case runs, an instrument watches every row written to the project's tables
(model signals, plus the SQL itself for bulk statements that send no signals) and every
audit entry appended. Each written row needs an entry for that object (or, for the rows
listed in PARTS, for the object they are part of) by the same actor, appended inside the
same outermost transaction the service opened.
"""

import dataclasses
import datetime
import decimal
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from dialogue.core import clock
from dialogue.core.actors import SYSTEM
from dialogue.core.models import AuditEntry
from dialogue.cycles.models import Consultation, Decision, Proposal
from dialogue.cycles.tests.factories import (
    ConsultationFactory,
    CycleFactory,
    ThemeFactory,
    WorkshopTopicFactory,
)
from dialogue.documents.models import Document, PublicationSeries
from dialogue.documents.tests.test_files import make_docx
from dialogue.events.models import Event, Invitation
from dialogue.events.tests.factories import EventFactory
from dialogue.funding.tests.factories import (
    BudgetLineFactory,
    DonorFactory,
    ExchangeRateFactory,
    PledgeFactory,
)
from dialogue.members.models import Member, Organization, Person
from dialogue.members.tests.factories import (
    FocalPointFactory,
    MemberFactory,
    OrganizationFactory,
    PersonFactory,
    StaffUserFactory,
)
from dialogue.surveys.models import Question
from dialogue.surveys.tests.factories import (
    CLOSES,
    DURING,
    OPENS,
    DraftSurveyFactory,
    PublishedSurveyFactory,
    SurveyFactory,
    delegate_of,
    option_ids,
    questions_of,
)

pytestmark = pytest.mark.django_db

# Tables whose rows are not the trail's business, with the reason.
NOT_AUDITED = {
    "core.auditentry": "the trail itself",
    "documents.searchentry": "search index rows, rebuilt from documents at any time",
    "api.idempotencyrecord": "stored answers of retried API requests, a technical cache",
    "core.ratecounter": "request counters of the rate limits, kept a few minutes",
    "surveys.reminder": "the log of e-mails sent, kept so none goes twice; the sending is "
    "audited on the survey",
    "mail.message": "the outgoing mail queue: each e-mail is queued by an audited write and "
    "delivered by the platform; staff sending one again or cancelling it is audited on it",
    "mail.attachment": "part of a queued e-mail (see mail.message)",
}

# Rows that are parts of another object: their writes are audited on that object.
PARTS: dict[str, Callable[[models.Model], tuple[str, str]]] = {
    "cycles.guidingquestion": lambda row: ("cycles.proposal", str(row.proposal_id)),
    "surveys.answer": lambda row: ("surveys.response", str(row.response_id)),
    "surveys.responseversion": lambda row: (
        "surveys.response",
        str(row.survey.responses.get(member_id=row.member_id).pk),
    ),
    "members.memberstatuschange": lambda row: ("members.member", str(row.member_id)),
}
# The same, by table, for statements that send no signals (bulk create, queryset update).
PART_TABLES = {
    "cycles_guidingquestion": "cycles.proposal",
    "surveys_answer": "surveys.response",
}

# Public functions of the write modules that write nothing themselves, with the reason.
HELPERS = {
    "dialogue.api.services.idempotency_lookup": "reads a stored answer",
    "dialogue.api.services.idempotency_claim": "stores a technical record (NOT_AUDITED)",
    "dialogue.api.services.idempotency_answer": "stores a technical record (NOT_AUDITED)",
    "dialogue.api.services.idempotency_store": "stores a technical record (NOT_AUDITED)",
    "dialogue.api.services.token_hash": "pure function",
    "dialogue.core.services.save_audited": "the audited save every service uses",
    "dialogue.core.services.validation_to_domain_error": "pure function",
    "dialogue.documents.services.clean_external_url": "input cleaning",
    "dialogue.documents.note_services.file_name": "pure function",
    "dialogue.funding.services.clean_amount": "input cleaning",
    "dialogue.funding.services.clean_currency": "input cleaning",
    "dialogue.members.services.can_manage_delegation": "permission check",
    "dialogue.members.services.member_clean_data": "input cleaning",
    "dialogue.members.services.person_check": "validation",
    "dialogue.surveys.services.is_eligible": "rule check",
    "dialogue.documents.search.rebuild_index": "writes only the search index (NOT_AUDITED)",
    "dialogue.documents.search.reindex_document": "writes only the search index (NOT_AUDITED)",
    "dialogue.events.registration.invitation_resend": "queues the e-mail; the sending is "
    "audited by invitation_mark_sent",
    "dialogue.demo.loader.ensure_staff_account": "demonstration data for a local instance",
    "dialogue.mail.services.queue": "stores outgoing mail (NOT_AUDITED) for an audited write",
    "dialogue.mail.services.queue_email": "stores outgoing mail (NOT_AUDITED), as queue",
    "dialogue.mail.services.deliver": "records a delivery attempt (NOT_AUDITED)",
    "dialogue.mail.services.messages_retry_due": "requeues outgoing mail (NOT_AUDITED)",
}
SKIPPED_PACKAGES = {"tests", "migrations", "testing", "management"}


def _is_transactional(function) -> bool:
    cells = getattr(function, "__closure__", None) or ()
    return any(
        isinstance(getattr(cell, "cell_contents", None), transaction.Atomic) for cell in cells
    )


def write_functions() -> dict[str, Callable]:
    """Every public function of a services module of the project's apps, and every other
    public function of theirs that opens a transaction."""
    found = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("dialogue."):
            continue
        package = importlib.import_module(config.name)
        for info in pkgutil.walk_packages(package.__path__, f"{config.name}."):
            if SKIPPED_PACKAGES & set(info.name.split(".")):
                continue
            module = importlib.import_module(info.name)
            is_services = "services" in info.name.rsplit(".", 1)[-1]
            for name, function in inspect.getmembers(module, inspect.isfunction):
                if function.__module__ != info.name or name.startswith("_"):
                    continue
                if is_services or _is_transactional(function):
                    found[f"{info.name}.{name}"] = function
    return found


def _is_project_model(model) -> bool:
    return model.__module__.startswith("dialogue.")


# Models of other packages that the project's own code writes, watched like its own.
WATCHED_APPS = {"otp_totp": "the second-factor devices of accounts"}


def _is_watched(model) -> bool:
    return _is_project_model(model) or model._meta.app_label in WATCHED_APPS


@dataclasses.dataclass
class Write:
    label: str
    object_id: str
    transaction: int | None
    how: str


@dataclasses.dataclass
class Instrument:
    """Collects the rows written and the audit entries appended while a case runs."""

    depth: int = 0
    writes: list[Write] = dataclasses.field(default_factory=list)
    entries: list[tuple[AuditEntry, int | None]] = dataclasses.field(default_factory=list)
    statements: list[tuple[str, int | None]] = dataclasses.field(default_factory=list)
    signalled: set[str] = dataclasses.field(default_factory=set)

    def transaction(self) -> int | None:
        blocks = connection.atomic_blocks
        return id(blocks[self.depth]) if len(blocks) > self.depth else None

    def saved(self, sender, instance, **kwargs):
        if not _is_watched(sender):
            return
        if sender is AuditEntry:
            self.entries.append((instance, self.transaction()))
        else:
            self._row(instance, "saved")

    def deleted(self, sender, instance, **kwargs):
        if _is_watched(sender) and sender is not AuditEntry:
            self._row(instance, "deleted")

    def related(self, sender, instance, action, **kwargs):
        if action.startswith("post_") and _is_watched(type(instance)):
            self.signalled.add(sender._meta.db_table)
            self._row(instance, f"related rows {action[5:]}")

    def _row(self, instance, how):
        self.signalled.add(instance._meta.db_table)
        label = instance._meta.label_lower
        if label in NOT_AUDITED:
            return
        if label in PARTS:
            label, object_id = PARTS[label](instance)
            how = f"{how} ({instance._meta.label_lower})"
        else:
            object_id = str(instance.pk)
        self.writes.append(Write(label, object_id, self.transaction(), how))

    def sql(self, execute, sql, params, many, context):
        if re.match(r"\s*(INSERT|UPDATE|DELETE)\b", sql, re.IGNORECASE):
            self.statements.append((sql, self.transaction()))
        return execute(sql, params, many, context)


TABLES = {
    model._meta.db_table: model._meta.label_lower
    for model in apps.get_models(include_auto_created=True)
    if _is_watched(model) or model._meta.auto_created
}
# Columns updated as bookkeeping, not as a change anyone makes.
BOOKKEEPING = {"api_apitoken": {"last_used_at"}}


def _only_bookkeeping(table: str, sql: str) -> bool:
    match = re.match(r'\s*UPDATE\s+"?\w+"?\s+SET\s+(.*?)\s+WHERE', sql, re.I | re.S)
    if table not in BOOKKEEPING or not match:
        return False
    columns = set(re.findall(r'"?(\w+)"?\s*=', match.group(1)))
    return columns <= BOOKKEEPING[table]


WRITTEN_TABLE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.I)


def run_watched(call: Callable[[], object]) -> Instrument:
    instrument = Instrument(depth=len(connection.atomic_blocks))
    post_save.connect(instrument.saved, weak=False, dispatch_uid="audit-coverage-save")
    post_delete.connect(instrument.deleted, weak=False, dispatch_uid="audit-coverage-delete")
    m2m_changed.connect(instrument.related, weak=False, dispatch_uid="audit-coverage-m2m")
    try:
        with connection.execute_wrapper(instrument.sql):
            call()
    finally:
        post_save.disconnect(dispatch_uid="audit-coverage-save")
        post_delete.disconnect(dispatch_uid="audit-coverage-delete")
        m2m_changed.disconnect(dispatch_uid="audit-coverage-m2m")
    return instrument


def _by(entry: AuditEntry, actor) -> bool:
    if getattr(actor, "is_authenticated", False):
        return entry.actor_id == actor.pk
    return entry.actor_id is None and bool(entry.actor_label)


def gaps(instrument: Instrument, actor) -> list[str]:
    """What was written without an entry for it by `actor` in the same transaction."""
    problems = []
    for write in instrument.writes:
        matching = [
            (entry, txn)
            for entry, txn in instrument.entries
            if entry.object_type == write.label and entry.object_id == write.object_id
        ]
        if not matching:
            problems.append(f"{write.label} {write.object_id} {write.how}: no audit entry")
            continue
        if not any(_by(entry, actor) for entry, _ in matching):
            problems.append(f"{write.label} {write.object_id}: audited, but not as the actor")
        if write.transaction is None or all(txn != write.transaction for _, txn in matching):
            problems.append(f"{write.label} {write.object_id}: audited outside its transaction")
    for sql, txn in instrument.statements:
        match = WRITTEN_TABLE.match(sql)
        table = match.group(1) if match else ""
        label = TABLES.get(table)
        if label is None or label in NOT_AUDITED or table in instrument.signalled:
            continue
        if _only_bookkeeping(table, sql):
            continue
        owner = PART_TABLES.get(match.group(1))
        if owner is None:
            problems.append(f"{label}: written without a model signal, not audited")
        elif not any(entry.object_type == owner and t == txn for entry, t in instrument.entries):
            problems.append(f"{label}: bulk write without an entry on its {owner}")
    return problems


# The cases: each builds its input with the factories and returns (actor, call).


def _staff():
    return StaffUserFactory()


def _open_event(**fields) -> Event:
    start = clock.today() + datetime.timedelta(days=60)
    defaults = {
        "status": Event.Status.CONFIRMED,
        "precision": Event.Precision.DAY,
        "year": start.year,
        "start_date": start,
        "end_date": start + datetime.timedelta(days=1),
        "city": "Geneva",
    }
    return EventFactory(**{**defaults, **fields})


def _closed_survey(staff):
    survey = PublishedSurveyFactory(actor=staff)
    from dialogue.surveys import services

    return services.survey_close(actor=staff, survey=survey, now=CLOSES)


def _invitation_token(staff, event, person) -> str:
    from dialogue.events import registration

    registration.invite_persons(actor=staff, event=event, persons=[person])
    invitation = Invitation.objects.get(event=event, person=person)
    token = "known-token-for-the-test"
    import hashlib

    Invitation.objects.filter(pk=invitation.pk).update(
        token_hash=hashlib.sha256(token.encode()).hexdigest()
    )
    return token


CASES: dict[str, Callable[[], tuple[object, Callable[[], object]]]] = {}


def case(name: str):
    def register(build):
        CASES[name] = build
        return build

    return register


# api


@case("dialogue.api.services.token_create")
def _():
    staff = _staff()
    from dialogue.api import services

    return staff, lambda: services.token_create(actor=staff, name="Reporting")


@case("dialogue.api.services.token_revoke")
def _():
    staff = _staff()
    from dialogue.api import services

    token, _secret = services.token_create(actor=staff, name="Reporting")
    return staff, lambda: services.token_revoke(actor=staff, token=token)


@case("dialogue.api.services.token_authenticate")
def _():
    staff = _staff()
    from dialogue.api import services
    from dialogue.api.models import ApiToken

    _token, secret = services.token_create(actor=staff, name="Reporting")
    ApiToken.objects.update(last_used_at=None)
    # Its last-use time is bookkeeping written with a queryset update; nothing else changes.
    return staff, lambda: services.token_authenticate(secret)


@case("dialogue.core.services.audit_trail_export")
def _():
    staff = _staff()
    from dialogue.core import selectors, services

    return staff, lambda: services.audit_trail_export(
        actor=staff, entries=selectors.audit_entries(), file_format="csv"
    )


# cycles


@case("dialogue.cycles.services.cycle_save")
def _():
    staff = _staff()
    from dialogue.cycles import services

    return staff, lambda: services.cycle_save(actor=staff, data={"year": 2031})


@case("dialogue.cycles.services.proposal_save")
def _():
    staff = _staff()
    cycle = CycleFactory()
    from dialogue.cycles import services

    return staff, lambda: services.proposal_save(
        actor=staff,
        data={"cycle": cycle, "kind": Proposal.Kind.THEME, "position": 1, "title_en": "Return"},
        questions=[{"en": "How?"}, {"en": "Why?", "fr": "Pourquoi ?"}],
    )


@case("dialogue.cycles.services.proposal_withdraw")
def _():
    staff = _staff()
    proposal = ThemeFactory()
    from dialogue.cycles import services

    return staff, lambda: services.proposal_withdraw(actor=staff, proposal=proposal)


@case("dialogue.cycles.services.consultation_save")
def _():
    staff = _staff()
    theme = ThemeFactory()
    from dialogue.cycles import services

    def call():
        consultation = services.consultation_save(
            actor=staff,
            data={"cycle": theme.cycle, "held_on": datetime.date(2008, 3, 1), "title_en": "IC"},
            proposals=[theme],
        )
        services.consultation_save(
            actor=staff, consultation=consultation, data={"place": "Geneva"}, proposals=[]
        )

    return staff, call


@case("dialogue.cycles.services.consultation_record_outcome")
def _():
    staff = _staff()
    theme = ThemeFactory()
    consultation = ConsultationFactory(cycle=theme.cycle, proposals=[theme])
    from dialogue.cycles import services

    return staff, lambda: services.consultation_record_outcome(
        actor=staff,
        consultation=consultation,
        outcome=Consultation.Outcome.AGREEMENT,
        agreed_proposal=theme,
    )


@case("dialogue.cycles.services.interest_record")
def _():
    staff = _staff()
    theme = ThemeFactory()
    consultation = ConsultationFactory(cycle=theme.cycle)
    member = MemberFactory()
    from dialogue.cycles import services

    return staff, lambda: services.interest_record(
        actor=staff,
        proposal=theme,
        expressed_on=datetime.date(2007, 10, 1),
        member=member,
        consultation=consultation,
    )


@case("dialogue.cycles.services.decision_record")
def _():
    staff = _staff()
    topic = WorkshopTopicFactory()
    other = WorkshopTopicFactory(cycle=topic.cycle, theme=topic.theme)
    consultation = ConsultationFactory(
        cycle=topic.cycle,
        proposals=[topic, other],
        outcome=Consultation.Outcome.AGREEMENT,
        agreed_proposal=topic,
    )
    from dialogue.cycles import services

    return staff, lambda: services.decision_record(
        actor=staff,
        cycle=topic.cycle,
        subject=Decision.Subject.WORKSHOP_TOPICS,
        proposals=[topic],
        decided_on=datetime.date(2007, 10, 20),
        consultation=consultation,
    )


# documents


def _document(staff, **data):
    from dialogue.documents import services

    return services.document_save(
        actor=staff, data={"kind": Document.Kind.REPORT, "title_en": "Report", **data}
    )


def _docx(name="report.docx"):
    return SimpleUploadedFile(name, make_docx())


def _published_version(staff):
    from dialogue.documents import services

    version = services.version_upload(
        actor=staff, document=_document(staff), language="en", uploaded_file=_docx()
    )
    return services.version_publish(actor=staff, version=version)


@case("dialogue.documents.services.document_save")
def _():
    staff = _staff()
    return staff, lambda: _document(staff)


@case("dialogue.documents.services.version_upload")
def _():
    staff = _staff()
    document = _document(staff)
    from dialogue.documents import services

    return staff, lambda: services.version_upload(
        actor=staff, document=document, language="en", uploaded_file=_docx()
    )


@case("dialogue.documents.services.version_publish")
def _():
    staff = _staff()
    from dialogue.documents import services

    version = services.version_upload(
        actor=staff, document=_document(staff), language="en", uploaded_file=_docx()
    )
    return staff, lambda: services.version_publish(actor=staff, version=version)


@case("dialogue.documents.services.document_publish")
def _():
    staff = _staff()
    from dialogue.documents import services

    document = _published_version(staff).document
    return staff, lambda: services.document_publish(actor=staff, document=document)


@case("dialogue.documents.services.document_withdraw")
def _():
    staff = _staff()
    from dialogue.documents import services

    document = _published_version(staff).document
    services.document_publish(actor=staff, document=document)
    return staff, lambda: services.document_withdraw(actor=staff, document=document, note="Old")


@case("dialogue.documents.services.series_create")
def _():
    staff = _staff()
    from dialogue.documents import services

    return staff, lambda: services.series_create(actor=staff, name_en="IDM Series")


@case("dialogue.documents.services.document_assign_next_number")
def _():
    staff = _staff()
    from dialogue.documents import services

    series = PublicationSeries.objects.create(name_en="IDM Series")
    document = _document(staff)
    return staff, lambda: services.document_assign_next_number(
        actor=staff, document=document, series=series
    )


def _note_world():
    from dialogue.documents.tests.test_notes import note_world

    return note_world()


@case("dialogue.documents.note_services.note_draft")
def _():
    staff = _staff()
    world = _note_world()
    from dialogue.documents import note_services

    return staff, lambda: note_services.note_draft(
        actor=staff, consultation=world.june, language="en"
    )


@case("dialogue.documents.note_services.note_save")
def _():
    staff = _staff()
    world = _note_world()
    from dialogue.documents import note_services

    draft = note_services.note_draft(actor=staff, consultation=world.june, language="en")
    return staff, lambda: note_services.note_save(
        actor=staff, draft=draft, text=draft.text + "\nOne more paragraph.\n"
    )


@case("dialogue.documents.note_services.note_issue")
def _():
    staff = _staff()
    world = _note_world()
    from dialogue.documents import note_services

    note_services.note_draft(actor=staff, consultation=world.june, language="en")
    return staff, lambda: note_services.note_issue(
        actor=staff, consultation=world.june, languages=["en"]
    )


# events


@case("dialogue.events.services.event_save")
def _():
    staff = _staff()
    cycle = CycleFactory()
    organization = OrganizationFactory()
    from dialogue.events import services

    return staff, lambda: services.event_save(
        actor=staff,
        data={"kind": Event.Kind.WORKSHOP, "cycle": cycle, "title_en": "Workshop"},
        partners=[organization],
    )


@case("dialogue.events.services.workshop_plan_for_topic")
def _():
    staff = _staff()
    topic = WorkshopTopicFactory(status=Proposal.Status.SELECTED)
    from dialogue.events import services

    return staff, lambda: services.workshop_plan_for_topic(actor=staff, topic=topic)


@case("dialogue.events.services.workshop_drop_for_topic")
def _():
    staff = _staff()
    topic = WorkshopTopicFactory(status=Proposal.Status.SELECTED)
    from dialogue.events import services

    services.workshop_plan_for_topic(actor=staff, topic=topic)
    return staff, lambda: services.workshop_drop_for_topic(actor=staff, topic=topic)


@case("dialogue.events.services.event_seek_funding")
def _():
    staff = _staff()
    event = EventFactory(contingent_on_funding=True)
    from dialogue.events import services

    return staff, lambda: services.event_seek_funding(actor=staff, event=event)


@case("dialogue.events.services.event_confirm")
def _():
    staff = _staff()
    event = EventFactory(dated=True)
    from dialogue.events import services

    return staff, lambda: services.event_confirm(actor=staff, event=event)


@case("dialogue.events.services.event_postpone")
def _():
    staff = _staff()
    event = EventFactory(dated=True)
    from dialogue.events import services

    return staff, lambda: services.event_postpone(actor=staff, event=event, note="Later")


@case("dialogue.events.services.event_cancel")
def _():
    staff = _staff()
    event = _open_event()
    person = PersonFactory()
    from dialogue.events import registration, services

    registration.registration_create(actor=SYSTEM, event=event, person=person)
    return staff, lambda: services.event_cancel(
        actor=staff, event=event, reason=Event.CancellationReason.choices[0][0]
    )


@case("dialogue.events.services.event_record_outcome")
def _():
    staff = _staff()
    event = EventFactory(dated=True, status=Event.Status.HELD)
    from dialogue.events import services

    return staff, lambda: services.event_record_outcome(
        actor=staff, event=event, data={"outcome_summary_en": "Practices were shared."}
    )


@case("dialogue.events.registration.invite_membership")
def _():
    staff = _staff()
    MemberFactory()
    event = _open_event()
    from dialogue.events import registration

    return staff, lambda: registration.invite_membership(actor=staff, event=event)


@case("dialogue.events.registration.invite_members")
def _():
    staff = _staff()
    member = MemberFactory()
    event = _open_event()
    from dialogue.events import registration

    return staff, lambda: registration.invite_members(actor=staff, event=event, members=[member])


@case("dialogue.events.registration.invite_persons")
def _():
    staff = _staff()
    person = PersonFactory()
    event = _open_event()
    from dialogue.events import registration

    return staff, lambda: registration.invite_persons(actor=staff, event=event, persons=[person])


@case("dialogue.events.registration.invite_organizations")
def _():
    staff = _staff()
    organization = OrganizationFactory()
    PersonFactory(delegation=None, role=Person.Role.EXPERT, organization=organization)
    event = _open_event()
    from dialogue.events import registration

    return staff, lambda: registration.invite_organizations(
        actor=staff, event=event, organizations=[organization]
    )


@case("dialogue.events.registration.invitation_mark_sent")
def _():
    staff = _staff()
    person = PersonFactory()
    event = _open_event()
    from dialogue.events import registration

    (invitation,) = registration.invite_persons(actor=staff, event=event, persons=[person])
    return SYSTEM, lambda: registration.invitation_mark_sent(actor=SYSTEM, invitation=invitation)


@case("dialogue.events.registration.registration_create")
def _():
    focal = FocalPointFactory()
    event = _open_event()
    from dialogue.events import registration

    return focal.user, lambda: registration.registration_create(
        actor=focal.user, event=event, person=focal
    )


@case("dialogue.events.registration.registrations_for_delegation")
def _():
    focal = FocalPointFactory()
    delegate = PersonFactory(delegation=focal.delegation)
    event = _open_event()
    from dialogue.events import registration

    return focal.user, lambda: registration.registrations_for_delegation(
        actor=focal.user, event=event, delegation=focal.delegation, persons=[focal, delegate]
    )


@case("dialogue.events.registration.registration_cancel")
def _():
    focal = FocalPointFactory()
    event = _open_event(capacity=1)
    from dialogue.events import registration

    taken = registration.registration_create(actor=focal.user, event=event, person=focal)
    registration.registration_create(actor=SYSTEM, event=event, person=PersonFactory())
    return focal.user, lambda: registration.registration_cancel(
        actor=focal.user, registration=taken
    )


@case("dialogue.events.registration.registration_create_by_link")
def _():
    staff = _staff()
    event = _open_event()
    token = _invitation_token(staff, event, PersonFactory(delegation=None, role=Person.Role.EXPERT))
    from dialogue.events import registration

    return None, lambda: registration.registration_create_by_link(
        actor=None, event=event, token=token
    )


@case("dialogue.events.registration.registration_cancel_by_link")
def _():
    staff = _staff()
    event = _open_event()
    token = _invitation_token(staff, event, PersonFactory(delegation=None, role=Person.Role.EXPERT))
    from dialogue.events import registration

    registration.registration_create_by_link(actor=None, event=event, token=token)
    return None, lambda: registration.registration_cancel_by_link(
        actor=None, event=event, token=token
    )


@case("dialogue.events.registration.registration_approve")
def _():
    staff = _staff()
    event = _open_event(requires_approval=True)
    from dialogue.events import registration

    pending = registration.registration_create(actor=SYSTEM, event=event, person=PersonFactory())
    return staff, lambda: registration.registration_approve(actor=staff, registration=pending)


@case("dialogue.events.registration.registration_reject")
def _():
    staff = _staff()
    event = _open_event(requires_approval=True)
    from dialogue.events import registration

    pending = registration.registration_create(actor=SYSTEM, event=event, person=PersonFactory())
    return staff, lambda: registration.registration_reject(actor=staff, registration=pending)


@case("dialogue.events.registration.waiting_list_promote")
def _():
    staff = _staff()
    event = _open_event(capacity=1)
    from dialogue.events import registration

    registration.registration_create(actor=SYSTEM, event=event, person=PersonFactory())
    registration.registration_create(actor=SYSTEM, event=event, person=PersonFactory())
    Event.objects.filter(pk=event.pk).update(capacity=2)
    event.refresh_from_db()
    return staff, lambda: registration.waiting_list_promote(actor=staff, event=event)


@case("dialogue.events.registration.follow_up_send")
def _():
    staff = _staff()
    event = _open_event()
    from dialogue.events import registration

    registration.registration_create(actor=SYSTEM, event=event, person=PersonFactory())
    Event.objects.filter(pk=event.pk).update(
        status=Event.Status.HELD, outcome_summary_en="Participants concluded."
    )
    event.refresh_from_db()
    return staff, lambda: registration.follow_up_send(actor=staff, event=event)


# funding


@case("dialogue.funding.services.donor_for")
def _():
    staff = _staff()
    organization = OrganizationFactory()
    from dialogue.funding import services

    return staff, lambda: services.donor_for(actor=staff, organization=organization)


@case("dialogue.funding.services.budget_line_save")
def _():
    staff = _staff()
    event = EventFactory(contingent_on_funding=True)
    from dialogue.funding import services

    return staff, lambda: services.budget_line_save(
        actor=staff,
        data={"event": event, "kind": "venue", "amount": "5000", "currency": "USD"},
    )


@case("dialogue.funding.services.pledge_record")
def _():
    staff = _staff()
    donor = DonorFactory()
    line = BudgetLineFactory()
    from dialogue.funding import services

    return staff, lambda: services.pledge_record(
        actor=staff,
        donor=donor,
        event=line.event,
        amount="1000",
        currency="USD",
        pledged_on=datetime.date(2007, 3, 1),
    )


@case("dialogue.funding.services.pledge_mark_received")
def _():
    staff = _staff()
    pledge = PledgeFactory()
    from dialogue.funding import services

    return staff, lambda: services.pledge_mark_received(
        actor=staff, pledge=pledge, received_on=datetime.date(2007, 4, 1)
    )


@case("dialogue.funding.services.pledge_withdraw")
def _():
    staff = _staff()
    pledge = PledgeFactory()
    from dialogue.funding import services

    return staff, lambda: services.pledge_withdraw(actor=staff, pledge=pledge, note="Cut")


@case("dialogue.funding.services.exchange_rate_set")
def _():
    staff = _staff()
    ExchangeRateFactory()
    from dialogue.funding import services

    def call():
        services.exchange_rate_set(
            actor=staff, currency="EUR", rate="0.7", valid_from=datetime.date(2007, 1, 1)
        )
        services.exchange_rate_set(
            actor=staff, currency="CHF", rate="0.9", valid_from=datetime.date(2007, 1, 1)
        )

    return staff, call


# members


@case("dialogue.members.services.member_create")
def _():
    staff = _staff()
    from dialogue.members import services

    return staff, lambda: services.member_create(
        actor=staff,
        data={"kind": Member.Kind.MEMBER_STATE, "code": "NOR", "name_en": "Norway"},
    )


@case("dialogue.members.services.member_update")
def _():
    staff = _staff()
    member = MemberFactory()
    from dialogue.members import services

    return staff, lambda: services.member_update(
        actor=staff, member=member, data={"mission_address": "Geneva"}
    )


@case("dialogue.members.services.member_change_status")
def _():
    staff = _staff()
    member = MemberFactory()
    from dialogue.members import services

    return staff, lambda: services.member_change_status(
        actor=staff,
        member=member,
        status=Member.Status.SUSPENDED,
        effective=datetime.date(2008, 1, 1),
    )


@case("dialogue.members.services.organization_save")
def _():
    staff = _staff()
    from dialogue.members import services

    return staff, lambda: services.organization_save(
        actor=staff, data={"kind": Organization.Kind.ACADEMIA, "name_en": "HEI"}
    )


@case("dialogue.members.services.person_save")
def _():
    staff = _staff()
    person = PersonFactory(with_account=True)
    from dialogue.members import services

    return staff, lambda: services.person_save(
        actor=staff, person=person, data={"email": "new.address@mission.example.org"}
    )


@case("dialogue.members.services.delegate_add")
def _():
    focal = FocalPointFactory()
    from dialogue.members import services

    return focal.user, lambda: services.delegate_add(
        actor=focal.user,
        delegation=focal.delegation,
        given_name="Awa",
        family_name="Diop",
        email="awa.diop@mission.example.org",
    )


@case("dialogue.members.services.delegate_set_active")
def _():
    focal = FocalPointFactory()
    delegate = PersonFactory(delegation=focal.delegation, with_account=True)
    from dialogue.members import services

    return focal.user, lambda: services.delegate_set_active(
        actor=focal.user, person=delegate, active=False
    )


@case("dialogue.members.services.delegate_remove")
def _():
    focal = FocalPointFactory()
    delegate = PersonFactory(delegation=focal.delegation, with_account=True)
    from dialogue.members import services

    return focal.user, lambda: services.delegate_remove(actor=focal.user, person=delegate)


@case("dialogue.members.services.account_create")
def _():
    staff = _staff()
    person = PersonFactory()
    from dialogue.members import services

    return staff, lambda: services.account_create(actor=staff, person=person)


@case("dialogue.members.services.person_set_language")
def _():
    delegate = PersonFactory(with_account=True)
    from dialogue.members import services

    return delegate.user, lambda: services.person_set_language(
        actor=delegate.user, person=delegate, language="fr"
    )


@case("dialogue.members.services.person_set_time_zone")
def _():
    delegate = PersonFactory(with_account=True)
    from dialogue.members import services

    return delegate.user, lambda: services.person_set_time_zone(
        actor=delegate.user, person=delegate, time_zone="Africa/Dakar"
    )


@case("dialogue.members.services.account_password_changed")
def _():
    delegate = PersonFactory(with_account=True)
    from dialogue.members import services

    return delegate.user, lambda: services.account_password_changed(
        user=delegate.user, how="changed"
    )


@case("dialogue.members.services.password_reset_mail")
def _():
    delegate = PersonFactory(with_account=True)
    from dialogue.members import services

    return SYSTEM, lambda: services.password_reset_mail(
        user=delegate.user,
        subject="New password",
        body="Open https://dialogue.example.org/en/portal/password/set/MQ/token/",
        link="https://dialogue.example.org/en/portal/password/set/MQ/token/",
    )


@case("dialogue.members.services.record_export")
def _():
    staff = _staff()
    from dialogue.members import services

    return staff, lambda: services.record_export(actor=staff, what="members", count=3)


@case("dialogue.members.services.members_export")
def _():
    staff = _staff()
    MemberFactory()
    from dialogue.members import services

    return staff, lambda: services.members_export(actor=staff, file_format="csv")


@case("dialogue.members.services.members_import")
def _():
    staff = _staff()
    MemberFactory(code="CHE")
    from dialogue.members import services

    content = services.members_export(actor=staff, file_format="csv").content
    changed = content.replace(b"Switzerland", b"Swiss Confederation")
    assert changed != content
    return staff, lambda: services.members_import(
        actor=staff, content=changed, filename="members.csv"
    )


# surveys


@case("dialogue.surveys.services.survey_create")
def _():
    staff = _staff()
    cycle = CycleFactory()
    from dialogue.surveys import services

    return staff, lambda: services.survey_create(
        actor=staff, cycle=cycle, data={"title_en": "Choice of the theme"}
    )


@case("dialogue.surveys.services.survey_update")
def _():
    staff = _staff()
    survey = DraftSurveyFactory(actor=staff)
    from dialogue.surveys import services

    return staff, lambda: services.survey_update(
        actor=staff, survey=survey, data={"title_en": "Another title"}
    )


@case("dialogue.surveys.services.question_add")
def _():
    staff = _staff()
    survey = DraftSurveyFactory(actor=staff, questions=[])
    from dialogue.surveys import services

    return staff, lambda: services.question_add(
        actor=staff,
        survey=survey,
        text={"en": "Which one?"},
        kind=Question.Kind.CHOOSE_ONE,
        method=Question.Method.PLURALITY,
        options=[{"label_en": "A"}, {"label_en": "B"}],
    )


@case("dialogue.surveys.services.survey_from_consultation")
def _():
    staff = _staff()
    cycle = CycleFactory()
    themes = [ThemeFactory(cycle=cycle), ThemeFactory(cycle=cycle)]
    consultation = ConsultationFactory(
        cycle=cycle, proposals=themes, outcome=Consultation.Outcome.NO_AGREEMENT
    )
    from dialogue.surveys import services

    return staff, lambda: services.survey_from_consultation(actor=staff, consultation=consultation)


@case("dialogue.surveys.services.survey_publish")
def _():
    staff = _staff()
    survey = DraftSurveyFactory(actor=staff)
    from dialogue.surveys import services

    return staff, lambda: services.survey_publish(
        actor=staff, survey=survey, opens_at=OPENS, now=OPENS
    )


@case("dialogue.surveys.services.survey_extend")
def _():
    staff = _staff()
    survey = PublishedSurveyFactory(actor=staff)
    from dialogue.surveys import services

    return staff, lambda: services.survey_extend(
        actor=staff, survey=survey, closes_at=CLOSES + datetime.timedelta(days=7), now=DURING
    )


@case("dialogue.surveys.services.survey_close")
def _():
    staff = _staff()
    survey = PublishedSurveyFactory(actor=staff)
    from dialogue.surveys import services

    return staff, lambda: services.survey_close(actor=staff, survey=survey, now=CLOSES)


@case("dialogue.surveys.services.survey_publish_results")
def _():
    staff = _staff()
    survey = _closed_survey(staff)
    from dialogue.surveys import services

    return staff, lambda: services.survey_publish_results(
        actor=staff, survey=survey, now=CLOSES + datetime.timedelta(days=1)
    )


@case("dialogue.surveys.services.weight_set")
def _():
    staff = _staff()
    survey = DraftSurveyFactory(actor=staff)
    member = MemberFactory()
    from dialogue.surveys import services

    return staff, lambda: services.weight_set(
        actor=staff, survey=survey, member=member, weight=decimal.Decimal("1.5")
    )


@case("dialogue.surveys.services.question_record_tie_resolution")
def _():
    staff = _staff()
    survey = _closed_survey(staff)
    (question,) = questions_of(survey)
    from dialogue.surveys import services

    return staff, lambda: services.question_record_tie_resolution(
        actor=staff, question=question, order=option_ids(question)[::-1], note="Drawn by lot."
    )


@case("dialogue.surveys.services.survey_remind_now")
def _():
    staff = _staff()
    member = MemberFactory()
    PersonFactory(delegation=member)
    survey = PublishedSurveyFactory(actor=staff)
    from dialogue.surveys import services

    return staff, lambda: services.survey_remind_now(
        actor=staff, survey=survey, members=[member], now=DURING
    )


@case("dialogue.surveys.services.survey_record_export")
def _():
    staff = _staff()
    survey = SurveyFactory()
    from dialogue.surveys import services

    return staff, lambda: services.survey_record_export(actor=staff, survey=survey, rows=4)


@case("dialogue.surveys.services.response_submit")
def _():
    member = MemberFactory()
    user = delegate_of(member)
    survey = PublishedSurveyFactory(actor=StaffUserFactory())
    (question,) = questions_of(survey)
    first, second = option_ids(question)[:2]
    from dialogue.surveys import services

    def call():
        for choice in (first, second):
            services.response_submit(
                actor=user,
                survey=survey,
                member=member,
                choices={question.pk: [choice]},
                comment="Our view.",
                now=DURING,
            )

    return user, call


@case("dialogue.surveys.services.message_template_save")
def _():
    staff = _staff()
    survey = DraftSurveyFactory(actor=staff)
    from dialogue.surveys import services

    def call():
        for body in ("Please answer {title} by {closes}.", "Answer {title}: {link}"):
            services.message_template_save(
                actor=staff,
                survey=survey,
                kind="invitation",
                language="en",
                subject="Survey {title}",
                body=body,
            )

    return staff, call


def _failed_mail():
    from dialogue.mail import services
    from dialogue.mail.models import Message

    message = services.queue(
        to=["delegate@mission.example.org"], subject="Invitation", body="Text", kind="other"
    )
    Message.objects.filter(pk=message.pk).update(status=Message.Status.FAILED, attempts=6)
    return message


@case("dialogue.mail.services.message_send_again")
def _():
    staff, message = _staff(), _failed_mail()
    from dialogue.mail import services

    return staff, lambda: services.message_send_again(actor=staff, message=message)


@case("dialogue.mail.services.message_cancel")
def _():
    staff, message = _staff(), _failed_mail()
    from dialogue.mail import services

    return staff, lambda: services.message_cancel(actor=staff, message=message)


@case("dialogue.members.login_throttle.lockout_lift")
def _():
    staff = _staff()
    from dialogue.members import login_throttle

    return staff, lambda: login_throttle.lockout_lift(
        actor=staff, username="someone@mission.example.org"
    )


@case("dialogue.members.two_factor.enrolment_device")
def _():
    staff = _staff()
    from dialogue.members import two_factor

    return staff, lambda: two_factor.enrolment_device(user=staff)


@case("dialogue.members.two_factor.enrolment_link_send")
def _():
    staff = _staff()
    from dialogue.members import two_factor

    return staff, lambda: two_factor.enrolment_link_send(
        user=staff, link=lambda token: f"https://dialogue.example.org/{token}/"
    )


WRITES = write_functions()


def test_every_write_function_has_a_case():
    missing = sorted(set(WRITES) - set(CASES) - set(HELPERS))
    assert not missing, f"write functions without an audit coverage case: {missing}"
    stale = sorted((set(CASES) | set(HELPERS)) - set(WRITES))
    assert not stale, f"cases for functions that no longer exist: {stale}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_row_a_write_function_writes_is_audited_in_its_transaction(name):
    actor, call = CASES[name]()
    instrument = run_watched(call)
    assert instrument.writes or instrument.entries or instrument.statements, (
        f"{name} wrote nothing: the case is wrong"
    )
    assert not gaps(instrument, actor), f"{name}: {gaps(instrument, actor)}"


def test_a_write_without_its_entry_is_caught():
    staff = _staff()

    def unaudited():
        with transaction.atomic():
            MemberFactory(code="ISL", name_en="Iceland")

    assert gaps(run_watched(unaudited), staff) == [
        f"members.member {Member.objects.get(code='ISL').pk} saved: no audit entry"
    ]


def test_an_entry_written_after_the_transaction_is_caught():
    from dialogue.core import audit

    staff = _staff()

    def late():
        with transaction.atomic():
            member = MemberFactory(code="ISL", name_en="Iceland")
        audit.record(actor=staff, action="create", obj=member)

    assert gaps(run_watched(late), staff) == [
        f"members.member {Member.objects.get(code='ISL').pk}: audited outside its transaction"
    ]


def test_an_entry_by_someone_else_is_caught():
    from dialogue.core import audit

    staff, other = _staff(), _staff()

    def as_other():
        with transaction.atomic():
            audit.record(actor=other, action="create", obj=MemberFactory(code="ISL"))

    assert gaps(run_watched(as_other), staff) == [
        f"members.member {Member.objects.get(code='ISL').pk}: audited, but not as the actor"
    ]


def test_a_bulk_write_without_an_entry_is_caught():
    staff = _staff()
    person = PersonFactory()

    def bulk():
        with transaction.atomic():
            Person.objects.filter(pk=person.pk).update(job_title="Counsellor")

    assert gaps(run_watched(bulk), staff) == [
        "members.person: written without a model signal, not audited"
    ]


def _may_write(model_admin, request) -> bool:
    return (
        model_admin.has_add_permission(request)
        or model_admin.has_change_permission(request)
        or model_admin.has_delete_permission(request)
    )


def _inline_may_write(inline, request) -> bool:
    formset = inline.get_formset(request)
    fixed = {"id", "DELETE", formset.fk.name}
    editable = [name for name in formset.form.base_fields if name not in fixed]
    return (
        inline.has_add_permission(request, None)
        or (inline.has_change_permission(request) and bool(editable))
        or (inline.can_delete and inline.has_delete_permission(request))
    )


def _overrides(model_admin, name: str) -> bool:
    from django.contrib import admin

    return getattr(type(model_admin), name) is not getattr(admin.ModelAdmin, name)


def test_every_registered_admin_page_audits_its_saves(rf):
    """An admin page either shows records only, saves through the audited admin base, or
    hands its saves to a service (which audits)."""
    from django.contrib import admin

    from dialogue.core.admin import AuditedAdminMixin
    from dialogue.members.tests.factories import UserFactory

    request = rf.get("/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    unaudited = []
    for model, model_admin in admin.site._registry.items():
        if not _is_project_model(model) or model is AuditEntry:
            continue
        name = f"{model._meta.label} ({type(model_admin).__name__})"
        if isinstance(model_admin, AuditedAdminMixin) or not _may_write(model_admin, request):
            pass
        elif not _overrides(model_admin, "save_model"):
            unaudited.append(f"{name}: saves without a service")
        elif model_admin.has_delete_permission(request) and not _overrides(
            model_admin, "delete_model"
        ):
            unaudited.append(f"{name}: deletes without a service")
        for inline in model_admin.get_inline_instances(request):
            if _inline_may_write(inline, request) and not _overrides(model_admin, "save_related"):
                unaudited.append(f"{name}: inline {type(inline).__name__} saves directly")
    assert not unaudited, f"admin pages that write without an audit entry: {unaudited}"
