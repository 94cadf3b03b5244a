"""Demo data for the 2007 dialogue, written through the domain services.

Every record is created or changed by the same service the secretariat uses
(`member_create`, `member_update`, `organization_save`, `person_save`,
`account_create` here; the cycle, survey and decision services in
`cycle_loader`), so the demo data is validated and audited like real data.
The data itself lives in files under `data/` (see `data/README.md`).

Loading is idempotent: records are looked up first (members by code,
organizations by English name, persons by e-mail) and only what differs from
the data files is written, so a second run adds no rows and no audit entries.

A loader is a sequence of steps; each step reads its rows and applies them
one by one inside a single transaction. `LOADERS` lists the loaders in the
order they run: `load_membership` (this module) first, then `load_cycles`
(`cycle_loader`: cycles, proposals, consultations, surveys, responses,
expressions of interest and decisions), then `load_events` (`event_loader`:
exchange rates, events, budget lines, pledges, the events' statuses,
registrations and outcomes), then `load_documents` (`document_loader`: the IDM
Series, documents, their generated files, their publication and numbers). Later
loaders add their own module and entry. The event loader, for instance, attaches
the donor record of the Government of Switzerland (which paid for the
interpretation of the July 2007 training) to the Member State CHE loaded here.
"""

import base64
import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.db.models import Count
from django.utils.module_loading import import_string
from django_otp.plugins.otp_totp.models import TOTPDevice
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dialogue.core import audit
from dialogue.core.errors import DomainError
from dialogue.core.models import AuditEntry
from dialogue.core.services import save_audited
from dialogue.cycles.models import (
    Consultation,
    Cycle,
    Decision,
    ExpressionOfInterest,
    GuidingQuestion,
    Proposal,
)
from dialogue.documents.models import Document, LanguageVersion
from dialogue.events.models import Event, Registration
from dialogue.funding.models import BudgetLine, Donor, ExchangeRate, Pledge
from dialogue.members import services
from dialogue.members.models import Member, Organization, Person, User
from dialogue.surveys.models import Response, Survey

DATA_DIR = Path(__file__).resolve().parent / "data"

# Published on purpose: every demo login uses it. Never load the demo into production.
DEMO_PASSWORD = "dialogue-demo-2007"  # noqa: S105

# Published on purpose too: the demo staff account's authenticator secret (base32). Never
# load the demo into production.
DEMO_TOTP_SECRET = "DEMOONLYDEMOONLYDEMOONLYDEMOONLY"  # noqa: S105

# How the loader signs the one write it makes before any staff account exists.
LOADER_LABEL = "load-demo"

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
OUTCOMES = (CREATED, UPDATED, UNCHANGED)

STAFF_ACCOUNT_FIELDS = ("email", "is_active", "is_staff", "is_superuser")
DEMO_DEVICE_NAME = "Demo authenticator"

Counts = dict[str, dict[str, int]]
# A row of a data file: CSV rows hold strings, TOML rows also numbers, dates and lists.
Row = dict[str, Any]


# --- data files -------------------------------------------------------------


def read_rows(name: str) -> list[dict[str, str]]:
    """The rows of `data/<name>`, with every cell stripped of surrounding blanks."""
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as handle:
        return [
            {key: (value or "").strip() for key, value in row.items()}
            for row in csv.DictReader(handle)
        ]


def member_rows() -> list[dict[str, str]]:
    """Members with their Permanent Mission contact details merged in."""
    missions = {row["code"]: row for row in read_rows("missions.csv")}
    rows = []
    for row in read_rows("members.csv"):
        mission = missions.get(row["code"], {})
        row.update({key: value for key, value in mission.items() if key != "code"})
        rows.append(row)
    return rows


def organization_rows() -> list[dict[str, str]]:
    return read_rows("organizations.csv")


def person_rows() -> list[dict[str, str]]:
    return read_rows("persons.csv")


def login_rows() -> list[dict[str, str]]:
    """The demo logins, staff first, as shown at the end of `dialogue load-demo`."""
    return read_rows("logins.csv")


def staff_login() -> dict[str, str]:
    return next(row for row in login_rows() if row["staff"] == "yes")


def delegation_login_rows() -> list[dict[str, str]]:
    return [row for row in login_rows() if row["staff"] != "yes"]


def _organization_names() -> dict[str, str]:
    """English name of each stakeholder organization of the data files, by acronym."""
    return {row["acronym"]: row["name_en"] for row in organization_rows()}


# --- steps ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One part of a loader: rows from the data files and how to apply one of them.

    `apply(actor, row)` writes through the services and returns CREATED,
    UPDATED or UNCHANGED; `key(row)` names the row in error messages.
    """

    name: str
    label: str
    rows: Callable[[], list[Row]]
    apply: Callable[[Any, Row], str]
    key: Callable[[Row], str]


def _outcome(before: dict[str, Any], obj, fields: Iterable[str]) -> str:
    return UNCHANGED if audit.snapshot(obj, fields) == before else UPDATED


def _keep_where_blank(data: dict[str, Any], existing) -> dict[str, Any]:
    """`data` with each blank value replaced by the existing record's value.

    The data files add and correct; a blank cell never erases what the
    secretariat entered by hand (a joining date, a website, a job title).
    """
    return {
        name: getattr(existing, name) if value in ("", None) else value
        for name, value in data.items()
    }


def apply_member(actor, row: dict[str, str]) -> str:
    """Create or update a Member State, observer State or observer organization."""
    data: dict[str, Any] = {name: row.get(name, "") for name in services.MEMBER_FIELDS}
    data["code"] = data["code"].upper()
    data["joined"] = data["joined"] or None
    member = Member.objects.filter(code=data["code"]).first()
    if member is None:
        services.member_create(actor=actor, data=data)
        return CREATED
    before = audit.snapshot(member, services.MEMBER_AUDITED)
    data = _keep_where_blank(data, member)
    member = services.member_update(actor=actor, member=member, data=data)
    return _outcome(before, member, services.MEMBER_AUDITED)


def apply_organization(actor, row: dict[str, str]) -> str:
    """Create or update a stakeholder organization, found by its English name."""
    data = {name: row.get(name, "") for name in services.ORGANIZATION_FIELDS}
    organization = Organization.objects.filter(name_en__iexact=data["name_en"]).first()
    if organization is None:
        services.organization_save(actor=actor, data=data)
        return CREATED
    before = audit.snapshot(organization, services.ORGANIZATION_FIELDS)
    data = _keep_where_blank(data, organization)
    organization = services.organization_save(actor=actor, data=data, organization=organization)
    return _outcome(before, organization, services.ORGANIZATION_FIELDS)


def _delegation(code: str) -> Member | None:
    if not code:
        return None
    member = Member.objects.filter(code=code.upper()).first()
    if member is None:
        raise DomainError(f"No member with code '{code}'.", field="delegation")
    return member


def _organization(acronym: str) -> Organization | None:
    if not acronym:
        return None
    name = _organization_names().get(acronym)
    organization = Organization.objects.filter(name_en=name).first() if name else None
    if organization is None:
        raise DomainError(f"No stakeholder organization '{acronym}'.", field="organization")
    return organization


def apply_person(actor, row: dict[str, str]) -> str:
    """Create or update a delegate, focal point or expert, found by e-mail."""
    data: dict[str, Any] = {
        name: row[name]
        for name in (
            "honorific",
            "given_name",
            "family_name",
            "gender",
            "preferred_language",
            "role",
            "job_title",
        )
    }
    data["email"] = row["email"].lower()
    person = Person.objects.filter(email__iexact=data["email"]).first()
    if person is not None:
        data = _keep_where_blank(data, person)
    # a person's affiliation is always what the data file says, blank or not
    data["delegation"] = _delegation(row["delegation"])
    data["organization"] = _organization(row["organization"])
    data["is_active"] = True
    if person is None:
        services.person_save(actor=actor, data=data)
        return CREATED
    before = audit.snapshot(person, services.PERSON_FIELDS)
    person = services.person_save(actor=actor, data=data, person=person)
    return _outcome(before, person, services.PERSON_FIELDS)


def _set_demo_password(actor, user: User) -> None:
    """Give `user` the demo password (a usable one) and note it in the audit trail."""
    had_password = user.has_usable_password()
    user.set_password(DEMO_PASSWORD)
    user.save(update_fields=["password"])
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=user,
        changes={"password": ["set" if had_password else "unusable", "changed"]},
        note="demo password",
    )


def apply_login(actor, row: dict[str, str]) -> str:
    """Give a delegation's person an account (no invitation) with the demo password."""
    person = Person.objects.select_related("user").filter(email__iexact=row["email"]).first()
    if person is None:
        raise DomainError(f"No person with e-mail {row['email']} for a demo login.")
    outcome = UNCHANGED
    if person.user_id is None:
        services.account_create(actor=actor, person=person, invite=False)
        outcome = CREATED
    user = User.objects.get(pk=person.user_id)
    if not user.check_password(DEMO_PASSWORD):
        _set_demo_password(actor, user)
        outcome = outcome if outcome == CREATED else UPDATED
    return outcome


MEMBERSHIP_STEPS = (
    Step("members", "Members and observers", member_rows, apply_member, lambda r: r["code"]),
    Step(
        "organizations",
        "Stakeholder organizations",
        organization_rows,
        apply_organization,
        lambda r: r["name_en"],
    ),
    Step("persons", "Delegates and experts", person_rows, apply_person, lambda r: r["email"]),
    Step("accounts", "Demo logins", delegation_login_rows, apply_login, lambda r: r["email"]),
)


# --- running ----------------------------------------------------------------


def make_console(stdout: IO[str] | None) -> Console:
    """A rich console writing to `stdout` (colours only when it is a terminal)."""
    return Console(file=stdout, highlight=False)


def _progress(stdout: IO[str] | None) -> Progress:
    return Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=make_console(stdout),
        disable=stdout is None,
    )


def _new_counts() -> dict[str, int]:
    return dict.fromkeys(OUTCOMES, 0)


def run_steps(steps: Iterable[Step], *, actor, stdout: IO[str] | None = None) -> Counts:
    """Apply each step's rows, one transaction per step, showing a progress bar on `stdout`.

    A row the services refuse stops the load with a DomainError naming the step
    and the row; the step's transaction is rolled back, earlier steps stay.
    """
    steps = list(steps)
    counts: Counts = {}
    with _progress(stdout) as progress:
        planned = [(step, step.rows()) for step in steps]
        tasks = [progress.add_task(step.label, total=len(rows)) for step, rows in planned]
        for (step, rows), task in zip(planned, tasks, strict=True):
            step_counts = counts.setdefault(step.name, _new_counts())
            with transaction.atomic():
                for row in rows:
                    try:
                        outcome = step.apply(actor, row)
                    except DomainError as error:
                        raise DomainError(
                            f"{step.label}, {step.key(row)}: {error.message}",
                            field=error.field,
                            code=error.code,
                        ) from error
                    step_counts[outcome] += 1
                    progress.advance(task)
    return counts


@transaction.atomic
def ensure_staff_account() -> tuple[User, str]:
    """The demo staff account (staff and superuser), created or repaired as needed.

    It is the actor of every later write. Its own creation has no actor yet,
    so the audit trail records it as done by the loader.
    """
    email = staff_login()["email"].lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User(
            email=email,
            first_name="Demo",
            last_name="Secretariat",
            is_staff=True,
            is_superuser=True,
            is_active=True,
        )
        user.set_password(DEMO_PASSWORD)
        save_audited(
            user,
            actor=LOADER_LABEL,
            fields=STAFF_ACCOUNT_FIELDS,
            exclude_from_validation=("password",),
        )
        ensure_demo_authenticator(user)
        return user, CREATED
    outcome = UNCHANGED
    before = audit.snapshot(user, STAFF_ACCOUNT_FIELDS)
    user.is_staff = user.is_superuser = user.is_active = True
    if audit.snapshot(user, STAFF_ACCOUNT_FIELDS) != before:
        save_audited(
            user,
            actor=user,
            fields=STAFF_ACCOUNT_FIELDS,
            before=before,
            exclude_from_validation=("password",),
        )
        outcome = UPDATED
    if not user.check_password(DEMO_PASSWORD):
        _set_demo_password(user, user)
        outcome = UPDATED
    if ensure_demo_authenticator(user) != UNCHANGED:
        outcome = UPDATED
    return user, outcome


def demo_totp_key() -> str:
    """DEMO_TOTP_SECRET as the hex key django-otp stores."""
    return base64.b32decode(DEMO_TOTP_SECRET).hex()


def ensure_demo_authenticator(user: User) -> str:
    """Give the demo staff account a confirmed TOTP device with DEMO_TOTP_SECRET, so that it
    can pass the staff second factor (`dialogue totp-code` prints the current code)."""
    device = TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=DEMO_DEVICE_NAME, key=demo_totp_key(), confirmed=True
        )
        audit.record(
            actor=user,
            action=AuditEntry.Action.CREATE,
            obj=device,
            note="demo authenticator with the published demo secret",
        )
        return CREATED
    if device.key == demo_totp_key() and device.confirmed:
        return UNCHANGED
    device.key = demo_totp_key()
    device.confirmed = True
    device.save(update_fields=["key", "confirmed"])
    audit.record(
        actor=user,
        action=AuditEntry.Action.UPDATE,
        obj=device,
        note="demo authenticator reset to the published demo secret",
    )
    return UPDATED


def demo_second_factor() -> dict[str, str]:
    """How to pass the demo staff account's second factor, for the closing report."""
    email = staff_login()["email"].lower()
    device = TOTPDevice.objects.filter(user__email__iexact=email, name=DEMO_DEVICE_NAME).first()
    return {
        "email": email,
        "secret": DEMO_TOTP_SECRET,
        "uri": device.config_url if device else "",
        "command": f"dialogue totp-code {email}",
    }


def load_membership(*, stdout: IO[str] | None = None) -> Counts:
    """Load the demo membership: staff login, members, organizations, persons, logins.

    Returns, for each step, how many rows were created, updated or left unchanged.
    """
    actor, outcome = ensure_staff_account()
    counts: Counts = {"staff": _new_counts()}
    counts["staff"][outcome] += 1
    counts.update(run_steps(MEMBERSHIP_STEPS, actor=actor, stdout=stdout))
    return counts


# Each loader takes `stdout` and returns its Counts; later loaders rely on earlier ones.
LOADERS: tuple[str, ...] = (
    "dialogue.demo.loader.load_membership",
    "dialogue.demo.cycle_loader.load_cycles",
    "dialogue.demo.event_loader.load_events",
    "dialogue.demo.document_loader.load_documents",
    "dialogue.demo.note_loader.load_note",
)


def load_all(*, stdout: IO[str] | None = None) -> Counts:
    """Run every loader in order and merge their counts."""
    counts: Counts = {}
    for path in LOADERS:
        counts.update(import_string(path)(stdout=stdout))
    return counts


def summary() -> dict[str, int]:
    """What the database holds after loading, for the closing report."""
    kinds = dict(Member.objects.values_list("kind").annotate(n=Count("pk")).order_by())
    return {str(label): kinds.get(value, 0) for value, label in Member.Kind.choices} | {
        "Stakeholder organizations": Organization.objects.count(),
        "Persons": Person.objects.count(),
        "Persons with a login": Person.objects.filter(user__isnull=False).count(),
        "Staff logins": User.objects.filter(is_staff=True).count(),
        "Cycles": Cycle.objects.count(),
        "Proposals": Proposal.objects.count(),
        "Guiding questions": GuidingQuestion.objects.count(),
        "Informal consultations": Consultation.objects.count(),
        "Surveys": Survey.objects.count(),
        "Survey responses": Response.objects.count(),
        "Written responses (with letter)": Response.objects.filter(
            channel=Response.Channel.WRITTEN
        ).count(),
        "Expressions of interest": ExpressionOfInterest.objects.count(),
        "Decisions": Decision.objects.count(),
        "Events": Event.objects.count(),
        "Registrations": Registration.objects.count(),
        "Donors": Donor.objects.count(),
        "Budget lines": BudgetLine.objects.count(),
        "Pledges": Pledge.objects.count(),
        "Exchange rates": ExchangeRate.objects.count(),
        "Documents": Document.objects.count(),
        "Document files": LanguageVersion.objects.count(),
    }
