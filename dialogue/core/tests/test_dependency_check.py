"""RELIABILITY S14: tools/check-dependencies.py flags a dependency behind the newest patch
release of its series (here with the index's answer given, not asked)."""

import importlib.util
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

TOOL = Path(__file__).resolve().parents[3] / "tools" / "check-dependencies.py"


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("check_dependencies", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _versions(*texts: str) -> list[Version]:
    return sorted((Version(text) for text in texts), reverse=True)


def test_a_django_lower_bound_behind_its_series_fails(tool, monkeypatch):
    monkeypatch.setattr(tool.importlib.metadata, "version", lambda name: "5.2.19")
    released = _versions("5.2.17", "5.2.18", "5.2.19", "6.0.1")

    _row, behind = tool.check("django", Requirement("Django>=5.2.18,<5.3"), released)
    _row, current = tool.check("django", Requirement("Django>=5.2.19,<5.3"), released)

    assert behind == ["pyproject.toml allows django 5.2.18; its series is at 5.2.19"]
    assert current == []


def test_an_installed_version_behind_its_series_fails(tool, monkeypatch):
    monkeypatch.setattr(tool.importlib.metadata, "version", lambda name: "3.3.8")

    row, problems = tool.check(
        "psycopg", Requirement("psycopg[binary]>=3.2,<3.4"), _versions("3.3.8", "3.3.9", "3.2.12")
    )

    assert problems == ["psycopg 3.3.8 is installed; 3.3.9 is out"]
    assert row[-1] == "OLD"


def test_a_newer_series_outside_the_range_is_shown_not_failed(tool, monkeypatch):
    monkeypatch.setattr(tool.importlib.metadata, "version", lambda name: "6.3.2")

    row, problems = tool.check(
        "icalendar", Requirement("icalendar>=6.1,<7"), _versions("6.3.2", "7.3.2")
    )

    assert problems == []
    assert row[4:6] == ["6.3.2", "7.3.2"]


def test_every_listed_dependency_is_one_of_the_project(tool):
    assert set(tool.requirements()) == tool.SECURITY_SENSITIVE
