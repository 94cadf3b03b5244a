"""The fingerprint of a version of a delegation's response."""

import datetime
import hashlib
import json


def fingerprint(
    *,
    survey_id: int,
    member_code: str,
    version: int,
    content: dict,
    receipt: str,
    submitted_at: datetime.datetime | None = None,
    previous: str = "",
) -> str:
    """The SHA-256 fingerprint a delegation can look for in the published list.

    It covers the answers, the receipt code, the submission time and the previous
    version's fingerprint, so a delegation's versions form a chain that cannot be
    rewritten without every later fingerprint changing.
    """
    when = submitted_at.astimezone(datetime.UTC).isoformat() if submitted_at else ""
    payload = json.dumps(
        [survey_id, member_code, version, content, receipt, when, previous],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
