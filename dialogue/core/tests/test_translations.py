import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from dialogue.members.tests.factories import ObserverOrganizationFactory

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ("fr", "es")


def _msgids(language: str) -> list[str]:
    text = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    ids = []
    for block in re.findall(r'^msgid ((?:".*"\n)+)', text, flags=re.M):
        ids.append("".join(re.findall(r'"(.*)"', block)).encode().decode("unicode_escape"))
    return [i for i in ids if i]


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="gettext's msgfmt is not installed")
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "untranslated" not in result.stderr
    assert "fuzzy" not in result.stderr


PAGES = [
    "/{lang}/",
    "/{lang}/members/",
    "/{lang}/members/{code}/",
    "/{lang}/portal/login/",
    "/{lang}/portal/password/reset/",
    "/{lang}/portal/",
    "/{lang}/portal/delegation/",
    "/{lang}/portal/delegation/add/",
    "/{lang}/portal/profile/",
    "/{lang}/portal/password/change/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_show_no_english_interface_text(client, focal_point, language):
    ObserverOrganizationFactory(
        code="SMOM", name_en="Order of Malta", name_fr="Ordre de Malte", name_es="Orden de Malta"
    )
    with translation.override(language):
        english = [
            m
            for m in _msgids(language)
            if len(m) > 12 and "%(" not in m and translation.gettext(m) != m
        ]
    client.force_login(focal_point.user)
    for page in PAGES:
        path = page.format(lang=language, code=focal_point.delegation.code)
        if path.endswith("/login/") or "/reset/" in path:
            client.logout()
        else:
            client.force_login(focal_point.user)
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        visible = re.sub(r"<[^>]+>", " ", body)
        leaked = [m for m in english if m in visible]
        assert not leaked, f"{path}: {leaked[:5]}"
