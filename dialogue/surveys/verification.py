"""Checking the stored history of responses against its fingerprints.

Every version of a delegation's response carries a SHA-256 fingerprint over its answers,
receipt code, time and the previous version's fingerprint (`fingerprints.fingerprint`), and
delegations can compare theirs with the published list. Recomputing the chains shows
whether any stored version was changed, deleted, duplicated or put out of order after
it was written, and whether the current response is the last version of its chain.
"""

import dataclasses
import datetime
from collections.abc import Iterable, Sequence

from dialogue.surveys.fingerprints import fingerprint


@dataclasses.dataclass(frozen=True)
class Link:
    """One stored version of a delegation's response, as its fingerprint covers it."""

    version: int
    content: dict
    receipt: str
    submitted_at: datetime.datetime
    fingerprint: str


@dataclasses.dataclass(frozen=True)
class Current:
    """A delegation's current response, as it must match the last version."""

    version: int
    receipt: str
    fingerprint: str
    answers: dict[str, list[int]]
    comment: str


def chain_breaks(
    survey_id: int, member_code: str, versions: Sequence[Link], current: Current | None
) -> list[str]:
    """What is wrong with one delegation's chain of versions (in stored order) and its
    current response; empty when every fingerprint recomputes and the current response
    is the last version, as submitted."""
    breaks = []
    previous = ""
    for expected, link in enumerate(versions, start=1):
        if link.version != expected:
            breaks.append(f"version {link.version} is stored where version {expected} belongs")
        recomputed = fingerprint(
            survey_id=survey_id,
            member_code=member_code,
            version=link.version,
            content=link.content,
            receipt=link.receipt,
            submitted_at=link.submitted_at,
            previous=previous,
        )
        if recomputed != link.fingerprint:
            breaks.append(f"version {link.version} does not match its fingerprint")
        previous = link.fingerprint
    if current is None:
        if versions:
            breaks.append("versions are stored but there is no current response")
        return breaks
    if not versions:
        return [*breaks, f"the current response (version {current.version}) has no history"]
    last = versions[-1]
    submitted = {q: chosen for q, chosen in last.content.get("answers", {}).items() if chosen}
    if (current.version, current.receipt, current.fingerprint) != (
        last.version,
        last.receipt,
        last.fingerprint,
    ):
        breaks.append(f"the current response is not version {last.version} of the history")
    elif current.answers != submitted or current.comment != (last.content.get("comment") or ""):
        breaks.append(f"the current answers differ from version {last.version} as submitted")
    return breaks


def problems(
    survey_id: int, chains: Iterable[tuple[str, Sequence[Link], Current | None]]
) -> dict[str, list[str]]:
    """Each delegation (by code) whose chain breaks, with what is wrong."""
    found = {}
    for member_code, versions, current in chains:
        breaks = chain_breaks(survey_id, member_code, versions, current)
        if breaks:
            found[member_code] = breaks
    return found
