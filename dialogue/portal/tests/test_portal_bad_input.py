import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogue.members.models import Person

pytestmark = pytest.mark.django_db

FIELDS = (
    "honorific",
    "given_name",
    "family_name",
    "email",
    "job_title",
    "gender",
    "preferred_language",
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.fixed_dictionaries({name: st.text(max_size=300) for name in FIELDS}))
def test_any_delegate_form_input_is_accepted_or_refused_never_a_server_error(
    client, focal_point, values
):
    client.force_login(focal_point.user)
    before = Person.objects.count()
    response = client.post("/en/portal/delegation/add/", values)
    assert response.status_code in (302, 400)
    if response.status_code == 200:
        assert Person.objects.count() == before


@pytest.mark.parametrize(
    "name",
    ["Côte d'Ivoire", "Türkiye", "Ñuñoa", "Đặng", "O'Brien-Smith", "محمد", "<b>bold</b>"],
)
def test_unicode_and_markup_names_are_stored_as_written_and_shown_escaped(
    client, focal_point, name
):
    client.force_login(focal_point.user)
    response = client.post(
        "/en/portal/delegation/add/",
        {
            "given_name": name,
            "family_name": "Test",
            "email": "unicode@mission.example.org",
            "gender": "female",
            "preferred_language": "fr",
        },
    )
    assert response.status_code == 302
    assert Person.objects.get(email="unicode@mission.example.org").given_name == name
    page = client.get("/en/portal/delegation/").content.decode()
    assert "<b>bold</b>" not in page
