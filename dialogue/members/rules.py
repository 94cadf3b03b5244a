"""Pure membership rules: no database, no request."""

import csv
import gettext
import re
from functools import cache
from pathlib import Path

import pycountry

CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9-]{1,19}$")


def is_iso_country(code: str) -> bool:
    """True when `code` is an ISO 3166-1 alpha-3 country code."""
    return (
        len(code) == 3
        and code.isascii()
        and code.isalpha()
        and code.isupper()
        and pycountry.countries.get(alpha_3=code) is not None
    )


def is_valid_organization_code(code: str) -> bool:
    """True when `code` is an acceptable acronym for an observer organization."""
    return bool(CODE_PATTERN.match(code))


@cache
def _country_translation(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])


def country_names(code: str) -> dict[str, dict[str, str]]:
    """ISO short and official names of a country in English, French and Spanish."""
    country = pycountry.countries.get(alpha_3=code)
    if country is None:
        raise KeyError(code)
    short = country.name
    official = getattr(country, "official_name", "") or ""
    names: dict[str, dict[str, str]] = {"name": {}, "official_name": {}}
    for language in ("en", "fr", "es"):
        translate = _country_translation(language).gettext
        names["name"][language] = translate(short)
        names["official_name"][language] = translate(official) if official else ""
    return names


@cache
def _regions() -> dict[str, str]:
    path = Path(__file__).resolve().parent / "data" / "regions.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["iso3"]: row["region"] for row in csv.DictReader(handle)}


def country_region(code: str) -> str:
    """The UN geoscheme continental region of a country, or "" if unknown."""
    return _regions().get(code, "")
