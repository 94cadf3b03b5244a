import pytest

from dialogue.members.models import Member
from dialogue.members.tests.factories import MemberFactory, ObserverOrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def membership(db):
    states = [MemberFactory(code=code) for code in ("CHE", "SEN", "MEX", "THA")]
    left = MemberFactory(code="GBR", name_en="United Kingdom", status=Member.Status.LEFT)
    observer = ObserverOrganizationFactory(
        code="SMOM", name_en="Sovereign Order of Malta", name_fr="Ordre souverain de Malte"
    )
    return states, left, observer


def test_root_redirects_to_a_language(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 302
    assert response["Location"] == "/es/"


def test_language_cookie_is_honoured(client):
    client.cookies["dialogue_language"] = "fr"
    assert client.get("/")["Location"] == "/fr/"


def test_home_counts_current_members(client, membership):
    page = client.get("/en/").content.decode()
    assert "<strong>4</strong> Member States" in page
    assert "<strong>1</strong> observer organizations" in page


def test_member_list_shows_names_in_the_page_language(client, membership):
    page = client.get("/fr/members/").content.decode()
    assert "Ordre souverain de Malte" in page
    assert "Sénégal" in page
    assert "United Kingdom" not in page


def test_member_list_filters_by_kind_region_and_name(client, membership):
    page = client.get("/en/members/", {"kind": "member_state", "region": "africa"}).content.decode()
    assert "Senegal" in page and "Mexico" not in page
    page = client.get("/en/members/", {"q": "malta"}).content.decode()
    assert "Sovereign Order of Malta" in page and "Senegal" not in page


def test_member_list_ignores_bad_filters(client, membership):
    response = client.get("/en/members/", {"kind": "<script>", "region": "mars", "q": "x" * 5000})
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()


def test_member_list_query_count_does_not_grow_with_members(client, django_assert_max_num_queries):
    MemberFactory()
    with django_assert_max_num_queries(3):
        client.get("/en/members/")
    for code in ("AAA", "BBB", "CCC", "DDD"):
        MemberFactory(code=code)
    with django_assert_max_num_queries(3):
        client.get("/en/members/")


def test_member_page_shows_details(client, membership):
    page = client.get("/es/members/SEN/").content.decode()
    assert "Senegal" in page
    assert "SEN" in page


def test_unknown_member_is_not_found(client):
    assert client.get("/en/members/XXX/").status_code == 404


def test_every_page_has_a_language_switcher_and_alternates(client, membership):
    page = client.get("/en/members/").content.decode()
    for code in ("en", "fr", "es"):
        assert f'name="language" value="{code}"' in page
    assert 'hreflang="fr" href="/fr/members/"' in page
    assert '<html lang="en">' in page


def test_user_text_is_escaped(client):
    ObserverOrganizationFactory(code="XSS", name_en='"><img src=x onerror=alert(1)>')
    page = client.get("/en/members/").content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
