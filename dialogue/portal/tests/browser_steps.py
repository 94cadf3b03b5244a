"""Steps the browser tests of the portal and staff pages share: the demo, logging in, and an
open theme survey of a current cycle whose theme is still to be chosen."""

import datetime
import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.management import call_command

from dialogue.core import clock
from dialogue.cycles import services as cycles
from dialogue.cycles.models import Cycle, Proposal
from dialogue.demo.loader import DEMO_PASSWORD
from dialogue.members import two_factor
from dialogue.members.models import Member
from dialogue.surveys import services as surveys
from dialogue.surveys.models import Question, Survey

FOCAL_POINT = "focal.point@mission-mex.example.org"
DELEGATE = "delegate@mission-mex.example.org"
STAFF = "staff@dialogue.example.org"
MEXICO = "MEX"
SURVEY_YEAR = 2009
THEMES = (
    ("Migration and the environment", "Migration et environnement", "Migración y medio ambiente"),
    ("Return migration", "Migration de retour", "Migración de retorno"),
    ("Migration and gender", "Migration et genre", "Migración y género"),
)


def load_demo(settings, media_root) -> None:
    """The demo data (members, persons and their logins, cycles, surveys, events, documents),
    with uploaded files kept under `media_root`."""
    settings.MEDIA_ROOT = media_root
    call_command("load-demo", verbosity=0)


def user(email: str):
    """The login with this e-mail address."""
    return get_user_model().objects.get(email=email)


def log_in(page, origin: str, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the portal's login page without the mouse and continue in English on
    the portal's home page, whatever language the person prefers. A staff account types the
    current code of its authenticator (the demo's published secret) when the page asks."""
    page.goto(f"{origin}/en/portal/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(re.compile(r"/(en|fr|es)/portal/(login/code/.*)?$"))
    if "/portal/login/code/" in page.url:
        code = two_factor.code_now(two_factor.confirmed_device(user(email)))
        page.get_by_label("Code from your authenticator app").fill(code)
        page.get_by_label("Code from your authenticator app").press("Enter")
        page.wait_for_url(re.compile(r"/(en|fr|es)/portal/$"))
    if not page.url.endswith("/en/portal/"):
        page.locator(".language-switcher button[value='en']").press("Enter")
        page.wait_for_url(f"{origin}/en/portal/")


@dataclass
class ThemeSurvey:
    """An open ranking survey on the themes of the current cycle, whose theme is not chosen;
    `options` are the ids of the question's options, in the order of `themes`."""

    cycle: Cycle
    survey: Survey
    question: Question
    themes: list[Proposal]
    options: list[int]


def open_theme_survey(open_for: datetime.timedelta = datetime.timedelta(days=14)) -> ThemeSurvey:
    """A new current cycle (the latest) with three candidate themes and no theme yet, and its
    theme survey: rank up to three themes (Borda), open now for two weeks (or `open_for`) to
    all members and observers, written and published through the services as staff would."""
    staff = user(STAFF)
    cycle = cycles.cycle_save(
        actor=staff,
        data={
            "year": SURVEY_YEAR,
            "name_en": f"IDM {SURVEY_YEAR}",
            "name_fr": f"DIM {SURVEY_YEAR}",
            "name_es": f"DIM {SURVEY_YEAR}",
            "status": Cycle.Status.CURRENT,
        },
    )
    themes = [
        cycles.proposal_save(
            actor=staff,
            data={
                "cycle": cycle,
                "kind": Proposal.Kind.THEME,
                "position": position,
                "title_en": en,
                "title_fr": fr,
                "title_es": es,
            },
        )
        for position, (en, fr, es) in enumerate(THEMES, start=1)
    ]
    survey = surveys.survey_create(
        actor=staff,
        cycle=cycle,
        data={
            "title_en": f"IDM {SURVEY_YEAR}: Choice of the overarching theme",
            "title_fr": f"DIM {SURVEY_YEAR} : Choix du thème général",
            "title_es": f"DIM {SURVEY_YEAR}: Elección del tema general",
            "audience": Survey.Audience.MEMBERS_AND_OBSERVERS,
        },
    )
    question = surveys.question_add(
        actor=staff,
        survey=survey,
        text={
            "en": "Rank the themes in order of preference.",
            "fr": "Classez les thèmes par ordre de préférence.",
            "es": "Ordene los temas por orden de preferencia.",
        },
        kind=Question.Kind.RANK,
        method=Question.Method.BORDA,
        max_choices=len(themes),
        options=[{"proposal": theme} for theme in themes],
    )
    now = clock.now()
    survey = surveys.survey_publish(
        actor=staff,
        survey=survey,
        opens_at=now - datetime.timedelta(hours=1),
        closes_at=now + open_for,
        now=now,
    )
    options = list(question.options.order_by("position").values_list("pk", flat=True))
    return ThemeSurvey(
        cycle=cycle, survey=survey, question=question, themes=themes, options=options
    )


def mexico() -> Member:
    """The demo's Member State whose focal point and delegate log in."""
    return Member.objects.get(code=MEXICO)
