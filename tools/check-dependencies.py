"""Are the security-sensitive dependencies on their newest patch release?

Django and most libraries ship security fixes only as patch releases of a series
(5.2.18 -> 5.2.19). For each dependency below this asks the package index, through pip's
configured index (`pip index versions`), for its releases, then checks:

* Django: the lowest version pyproject.toml allows is the newest patch release of its
  series, so that no install can pick a Django with a fixed vulnerability;
* every one: the installed version is the newest patch release of its series.

Prints a table and exits with status 1 when a check fails (2 when the index cannot be
asked). It needs the package index, so `make nightly` runs it, not every test run.

Usage: python tools/check-dependencies.py
"""

import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import InvalidVersion, Version
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
LOWER_BOUND_PINNED = {"django"}
SECURITY_SENSITIVE = {
    "django",
    "psycopg",
    "gunicorn",
    "whitenoise",
    "argon2-cffi",
    "django-axes",
    "django-otp",
    "django-csp",
    "django-ninja",
    "defusedxml",
    "openpyxl",
    "pypdf",
    "weasyprint",
    "python-docx",
    "icalendar",
    "qrcode",
    "dj-database-url",
    "django-tasks-db",
}


def requirements() -> dict[str, Requirement]:
    """The project's dependencies that matter for security, by normalized name."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = {}
    for line in project["dependencies"]:
        requirement = Requirement(line)
        name = requirement.name.lower()
        if name in SECURITY_SENSITIVE:
            found[name] = requirement
    return found


def released(name: str) -> list[Version]:
    """Every final release of `name` on the configured index, newest first."""
    answer = subprocess.run(  # noqa: S603 - our own interpreter's pip, a fixed argument list
        [sys.executable, "-m", "pip", "index", "versions", name],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    match = re.search(r"Available versions: (.+)", answer.stdout)
    if answer.returncode != 0 or match is None:
        raise LookupError(f"{name}: {answer.stderr.strip() or 'no versions listed'}")
    versions = []
    for text in match.group(1).split(","):
        try:
            version = Version(text.strip())
        except InvalidVersion:
            continue
        if not version.is_prerelease:
            versions.append(version)
    return sorted(versions, reverse=True)


def newest_in_series(version: Version, versions: list[Version]) -> Version:
    """The newest release of `version`'s series (same major and minor)."""
    series = [v for v in versions if v.release[:2] == version.release[:2]]
    return max(series, default=version)


def lower_bound(requirement: Requirement) -> Version | None:
    """The lowest version the requirement allows, when it names one with >= or ==."""
    for spec in requirement.specifier:
        if spec.operator in (">=", "=="):
            return Version(spec.version)
    return None


def check(name: str, requirement: Requirement, versions: list[Version]) -> tuple[list, list]:
    """The table row of a dependency and what is wrong with it."""
    problems = []
    try:
        installed = Version(importlib.metadata.version(name))
    except importlib.metadata.PackageNotFoundError:
        installed = None
    if installed is None:
        problems.append(f"{name} is not installed")
    else:
        newest = newest_in_series(installed, versions)
        if installed < newest:
            problems.append(f"{name} {installed} is installed; {newest} is out")
    bound = lower_bound(requirement)
    if name in LOWER_BOUND_PINNED:
        if bound is None:
            problems.append(f"{name} has no lower bound in pyproject.toml")
        elif bound < newest_in_series(bound, versions):
            problems.append(
                f"pyproject.toml allows {name} {bound}; its series is at "
                f"{newest_in_series(bound, versions)}"
            )
    allowed = [v for v in versions if requirement.specifier.contains(v)]
    row = [
        name,
        str(requirement.specifier),
        str(installed or "—"),
        str(newest_in_series(installed, versions)) if installed else "—",
        str(max(allowed, default="—")),
        str(versions[0]) if versions else "—",
        "ok" if not problems else "OLD",
    ]
    return row, problems


def main() -> int:
    console = Console(width=120)
    table = Table(title="Security-sensitive dependencies")
    for heading in (
        "package",
        "pyproject.toml",
        "installed",
        "newest in series",
        "newest allowed",
        "newest",
        "",
    ):
        table.add_column(heading)
    problems = []
    for name, requirement in sorted(requirements().items()):
        try:
            versions = released(name)
        except (LookupError, subprocess.TimeoutExpired) as error:
            console.print(f"The package index could not be asked: {error}")
            return 2
        row, found = check(name, requirement, versions)
        table.add_row(*row)
        problems += found
    console.print(table)
    for problem in problems:
        console.print(f"[red]{problem}[/red]")
    if not problems:
        console.print("Every security-sensitive dependency is on the newest patch of its series.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
