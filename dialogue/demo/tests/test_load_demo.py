"""The demo loader: a realistic membership for 2007, loaded through the services, idempotently."""

import io
import re

from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from dialogue.core.models import AuditEntry
from dialogue.cycles.models import (
    Consultation,
    Cycle,
    Decision,
    ExpressionOfInterest,
    GuidingQuestion,
    Proposal,
)
from dialogue.demo import loader
from dialogue.events.models import Event, Invitation, Registration
from dialogue.funding.models import BudgetLine, Donor, ExchangeRate, Pledge
from dialogue.members import rules, services
from dialogue.members.models import Member, MemberStatusChange, Organization, Person, User
from dialogue.members.services import can_manage_delegation
from dialogue.surveys.models import Answer, Response, ResponseVersion, Survey

STAFF = "staff@dialogue.example.org"
FOCAL_POINT = "focal.point@mission-mex.example.org"
DELEGATE = "delegate@mission-mex.example.org"
OBSERVER_DELEGATE = "delegate@icmpd.example.org"


def _row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Member,
            MemberStatusChange,
            Organization,
            Person,
            User,
            Cycle,
            Proposal,
            GuidingQuestion,
            Consultation,
            ExpressionOfInterest,
            Decision,
            Survey,
            Response,
            ResponseVersion,
            Answer,
            Event,
            Invitation,
            Registration,
            Donor,
            BudgetLine,
            Pledge,
            ExchangeRate,
            AuditEntry,
        )
    }


def test_first_run_creates_everything_through_the_services(first_run, db):
    assert first_run["staff"]["created"] == 1
    assert first_run["members"]["created"] == Member.objects.count() >= 130
    assert first_run["persons"]["created"] == Person.objects.count()
    assert first_run["accounts"]["created"] == 3
    # only the intersessional workshops the decision created are updated (given their dates)
    updated = {name: counts["updated"] for name, counts in first_run.items() if counts["updated"]}
    assert updated == {"events": 2}
    # every member has its creation audited, by the staff login
    audited = AuditEntry.objects.filter(object_type="members.member", action="create")
    assert audited.count() == Member.objects.count()
    assert set(audited.values_list("actor__email", flat=True)) == {STAFF}


def test_member_states_have_iso_codes_and_names_in_three_languages(first_run, db):
    states = Member.objects.filter(kind=Member.Kind.MEMBER_STATE)
    assert states.count() >= 120
    for state in states:
        assert rules.is_iso_country(state.code), state.code
        assert state.name_en and state.name_fr and state.name_es, state.code
        assert state.region != "international", state.code
    mexico = states.get(code="MEX")
    assert (mexico.name_fr, mexico.name_es) == ("Mexique", "México")
    bolivia = states.get(code="BOL")
    assert bolivia.name_fr == "Bolivie (État plurinational de)"
    assert states.get(code="ESP").region == "europe"
    switzerland = states.get(code="CHE")
    assert switzerland.mission_phone.startswith("+41 22 ")
    assert switzerland.mission_email.endswith(".example.org")
    assert not states.filter(code__in=["CHN", "IND", "RUS"]).exists()


def test_observers_include_states_and_organizations(first_run, db):
    observers = Member.objects.exclude(kind=Member.Kind.MEMBER_STATE)
    assert observers.count() >= 10
    assert observers.filter(kind=Member.Kind.OBSERVER_STATE, code="VAT").exists()
    organizations = observers.filter(kind=Member.Kind.OBSERVER_ORGANIZATION)
    assert {"ICMPD", "ICRC", "IFRC", "SMOM", "OECD", "AU", "LAS", "COE"} <= set(
        organizations.values_list("code", flat=True)
    )
    for organization in organizations:
        assert rules.is_valid_organization_code(organization.code)
        assert organization.name_fr and organization.name_es, organization.code
        assert organization.region == "international"


def test_stakeholders_named_in_the_discussion_note(first_run, db):
    hei = Organization.objects.get(acronym="HEI")
    assert hei.kind == Organization.Kind.ACADEMIA
    assert hei.name_en == "Graduate Institute of International Studies"
    assert Organization.objects.filter(acronym="RPG", name_en="Refugee Policy Group").exists()
    regional = Organization.objects.filter(kind=Organization.Kind.REGIONAL_INSTITUTION)
    assert {"APEC", "ASEAN", "CARICOM", "ECOWAS", "EU", "MERCOSUR", "NAFTA", "SADC"} <= set(
        regional.values_list("acronym", flat=True)
    )
    ecowas = regional.get(acronym="ECOWAS")
    assert ecowas.name_fr == "Communauté économique des États de l'Afrique de l'Ouest"
    assert regional.get(acronym="MERCOSUR").name_es == "Mercado Común del Sur"
    assert Organization.objects.filter(kind=Organization.Kind.UN_AGENCY, acronym="UNEP").exists()


def test_delegations_and_experts(first_run, db):
    delegations = Member.objects.filter(persons__isnull=False).distinct()
    assert delegations.count() >= 6
    assert delegations.exclude(kind=Member.Kind.MEMBER_STATE).exists()
    assert set(Person.objects.values_list("preferred_language", flat=True)) == {"en", "fr", "es"}
    experts = Person.objects.filter(role=Person.Role.EXPERT)
    assert experts.filter(organization__acronym="HEI").exists()
    assert not experts.filter(organization__isnull=True).exists()
    for person in Person.objects.all():
        assert person.email.split("@")[1].endswith("example.org")


def test_demo_logins_authenticate_with_their_roles(first_run, db):
    users = {}
    for email in (STAFF, FOCAL_POINT, DELEGATE, OBSERVER_DELEGATE):
        request = RequestFactory().post("/en/portal/login/")
        user = authenticate(request, username=email, password=loader.DEMO_PASSWORD)
        assert user is not None, email
        assert user.has_usable_password()
        users[email] = user
    assert users[STAFF].is_staff and users[STAFF].is_superuser
    mexico = Member.objects.get(code="MEX")
    focal_point = users[FOCAL_POINT].person
    assert (focal_point.role, focal_point.delegation, focal_point.preferred_language) == (
        Person.Role.FOCAL_POINT,
        mexico,
        "es",
    )
    assert can_manage_delegation(users[FOCAL_POINT], mexico)
    assert not can_manage_delegation(users[FOCAL_POINT], Member.objects.get(code="CHE"))
    delegate = users[DELEGATE].person
    assert (delegate.role, delegate.delegation, delegate.preferred_language) == (
        Person.Role.DELEGATE,
        mexico,
        "es",
    )
    assert not can_manage_delegation(users[DELEGATE], mexico)
    observer = users[OBSERVER_DELEGATE].person
    assert observer.delegation.code == "ICMPD"
    assert observer.delegation.kind == Member.Kind.OBSERVER_ORGANIZATION
    assert observer.preferred_language == "en"
    assert not users[OBSERVER_DELEGATE].is_staff


def test_running_again_changes_nothing(first_run, db, demo_media):
    before = _row_counts()
    letters = sorted(demo_media.rglob("*.pdf"))
    out = io.StringIO()
    call_command("load-demo", stdout=out)
    assert _row_counts() == before
    output = out.getvalue()
    for email in (STAFF, FOCAL_POINT, DELEGATE, OBSERVER_DELEGATE):
        assert email in output
    assert loader.DEMO_PASSWORD in output
    for step in ("cycles", "proposals", "consultations", "surveys", "responses", "decisions"):
        assert step in output
    assert "Return Migration:" in output
    assert "Guiding questions" in output
    for text in ("22–23 February 2007", "18–19 June 2007", "Events by status"):
        assert text in output
    assert "Funding (in USD)" in output and "insufficient funding" in output
    # every step of the "Loaded" table: nothing created, nothing updated
    steps = re.findall(r"│ (\w+) +│ +(\d+) │ +(\d+) │ +(\d+) │", output)
    assert {name for name, *_ in steps} >= {
        "members",
        "cycles",
        "responses",
        "decisions",
        "events",
        "pledges",
        "registrations",
    }
    assert all(created == updated == "0" for _name, created, updated, _same in steps), steps
    assert sorted(demo_media.rglob("*.pdf")) == letters


def test_a_changed_record_is_put_back_with_an_audit_entry(first_run, db):
    Member.objects.filter(code="CHE").update(mission_phone="+41 22 999 99 99")
    entries = AuditEntry.objects.count()
    counts = loader.load_membership()
    assert counts["members"]["updated"] == 1
    assert Member.objects.get(code="CHE").mission_phone == "+41 22 000 10 10"
    assert AuditEntry.objects.count() == entries + 1


def test_a_blank_cell_keeps_what_the_secretariat_entered(first_run, db):
    staff = User.objects.get(email=STAFF)
    switzerland = Member.objects.get(code="CHE")
    hei = Organization.objects.get(acronym="HEI")
    services.member_update(actor=staff, member=switzerland, data={"joined": "1951-12-05"})
    services.organization_save(
        actor=staff, organization=hei, data={"website": "https://hei.example.org", "country": "CHE"}
    )
    entries = AuditEntry.objects.count()
    counts = loader.load_membership()
    assert counts["members"]["updated"] == counts["organizations"]["updated"] == 0
    assert str(Member.objects.get(code="CHE").joined) == "1951-12-05"
    hei.refresh_from_db()
    assert (hei.website, hei.country) == ("https://hei.example.org", "CHE")
    assert AuditEntry.objects.count() == entries
