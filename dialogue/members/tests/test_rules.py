from hypothesis import given
from hypothesis import strategies as st

from dialogue.members import rules


def test_real_alpha3_codes_are_countries():
    assert rules.is_iso_country("CHE")
    assert rules.is_iso_country("TUR")


def test_unassigned_and_alpha2_codes_are_not_countries():
    assert not rules.is_iso_country("XXA")
    assert not rules.is_iso_country("CH")
    assert not rules.is_iso_country("che")


def test_country_names_are_given_in_three_languages():
    names = rules.country_names("CHE")
    assert names["name"] == {"en": "Switzerland", "fr": "Suisse", "es": "Suiza"}
    assert names["official_name"]["fr"] == "Confédération helvétique"


def test_every_country_has_a_region():
    import pycountry

    assert all(rules.country_region(c.alpha_3) for c in pycountry.countries)


@given(st.text(max_size=25))
def test_organization_code_check_never_crashes(code):
    result = rules.is_valid_organization_code(code)
    assert result == bool(rules.CODE_PATTERN.match(code))


def test_regions_follow_the_un_geoscheme_for_multi_continent_states():
    assert rules.country_region("ESP") == "europe"
    assert rules.country_region("ECU") == "americas"
    assert rules.country_region("RUS") == "europe"
    assert rules.country_region("CHL") == "americas"
