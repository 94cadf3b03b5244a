import pytest

pytestmark = pytest.mark.django_db


def test_focal_point_factory_gives_a_login_for_the_delegation(focal_point, member_state):
    assert focal_point.delegation == member_state
    assert focal_point.user.check_password("correct-horse-battery")
    assert focal_point.is_focal_point
