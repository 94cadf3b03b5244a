"""Log-in under attack: two password-guessing attacks while real people log in.

For one minute, against gunicorn (2 sync workers, production settings, PostgreSQL):

- attack on an account: 1,000 wrong passwords for one account, from one address;
- attack from an address: 1,000 accounts (most of them unknown) tried once each, from
  another address;
- meanwhile delegates log in with the right password, one log-in a second, each of 20
  from an address of their own (a busy morning: 60 log-ins a minute).

Every log-in goes through the portal's form as a browser does (the page, then the form
with its CSRF token). The addresses are set with X-Forwarded-For, the server running as
behind a TLS proxy (BEHIND_TLS_PROXY=1).

Targets (RELIABILITY S10): at most 10 passwords checked for the attacked account (the
rest refused with 429), at most 100 failed log-ins counted from the attacking address, an
audit entry for every failed log-in, and the delegates all logged in with a p95 under
1 s during the attacks.

Prints the figures, writes bench/RESULTS-login.md and exits with status 1 when a target
is missed. Usage: python bench/login_attack.py [--seconds 60]
Without a PostgreSQL DATABASE_URL it runs itself under tools/with-postgres.
"""

import argparse
import datetime
import http.client
import json
import os
import re
import statistics
import sys
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import CpuMeter, child_result, on_postgres, under_postgres  # noqa: E402
from bench.spike import _percentile, served  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS-login.md"
ATTEMPTS = 1000
DELEGATES = 20
LOGINS_PER_SECOND = 1.0
PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - the bench accounts' password
TARGET = "attacked.delegate@bench.example.org"
ACCOUNT_ATTACKER = "203.0.113.7"
ADDRESS_ATTACKER = "203.0.113.99"
ACCOUNT_LIMIT = 10
ADDRESS_LIMIT = 100
P95_S = 1.0
LOGIN = "/en/portal/login/"
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """One client with its cookies and its address, logging in through the portal form."""

    def __init__(self, port: int, address: str) -> None:
        self.port, self.address = port, address
        self.cookies: dict[str, str] = {}

    def _request(self, method: str, path: str, body: bytes | None = None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            sent = {"X-Forwarded-For": self.address, **(headers or {})}
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            for header in answer.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return answer.status, answer.getheader("Location", ""), answer.read()
        finally:
            connection.close()

    def log_in(self, email: str, password: str) -> int:
        """Open the log-in page and send the form; the status of the form's answer."""
        self.cookies.clear()
        status, _location, page = self._request("GET", LOGIN)
        found = TOKEN.search(page)
        if status != 200 or found is None:
            return -status
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": found.group(1).decode(),
                "username": email,
                "password": password,
            }
        ).encode()
        status, _location, _page = self._request(
            "POST", LOGIN, form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        return status


def _accounts() -> None:
    """The attacked account and the delegates' accounts, with a known password."""
    from dialogue.members.models import User

    User.objects.create_user(email=TARGET, password=PASSWORD)
    for number in range(DELEGATES):
        User.objects.create_user(
            email=f"real.delegate.{number}@bench.example.org", password=PASSWORD
        )


def _paced(count: int, seconds: float, attempt) -> threading.Thread:
    """A thread making `count` attempts spread evenly over `seconds`."""

    def run() -> None:
        start = time.monotonic()
        for number in range(count):
            time.sleep(max(0.0, start + number * seconds / count - time.monotonic()))
            attempt(number)

    return threading.Thread(target=run, daemon=True)


def attack(port: int, seconds: float) -> dict:
    """Run both attacks and the delegates' log-ins together; what each saw."""
    statuses = {"account": [], "address": []}
    logins: list[tuple[float, int]] = []
    lock = threading.Lock()
    account_attacker = Browser(port, ACCOUNT_ATTACKER)
    address_attacker = Browser(port, ADDRESS_ATTACKER)

    def on_account(number: int) -> None:
        status = account_attacker.log_in(TARGET, f"guess-{number}")
        with lock:
            statuses["account"].append(status)

    def on_address(number: int) -> None:
        status = address_attacker.log_in(f"nobody.{number}@bench.example.org", "guess")
        with lock:
            statuses["address"].append(status)

    def delegate(number: int) -> None:
        started = time.monotonic()
        browser = Browser(port, f"198.51.100.{number % DELEGATES + 1}")
        status = browser.log_in(f"real.delegate.{number % DELEGATES}@bench.example.org", PASSWORD)
        with lock:
            logins.append((time.monotonic() - started, status))

    def delegates(number: int) -> None:
        threading.Thread(target=delegate, args=(number,), daemon=True).start()

    threads = [
        _paced(ATTEMPTS, seconds, on_account),
        _paced(ATTEMPTS, seconds, on_address),
        _paced(round(seconds * LOGINS_PER_SECOND), seconds, delegates),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    deadline = time.monotonic() + 120
    while len(logins) < round(seconds * LOGINS_PER_SECOND) and time.monotonic() < deadline:
        time.sleep(0.1)
    return {"statuses": statuses, "logins": logins}


def _counted() -> dict:
    """What the database holds after the attacks."""
    from axes.models import AccessFailureLog

    from dialogue.core.models import AuditEntry

    return {
        "account_failures": AccessFailureLog.objects.filter(username=TARGET).count(),
        "address_failures": AccessFailureLog.objects.filter(ip_address=ADDRESS_ATTACKER).count(),
        "audited_failures": AuditEntry.objects.filter(
            action=AuditEntry.Action.LOGIN_FAILED
        ).count(),
    }


def run(seconds: float) -> dict:
    """The whole run on a new PostgreSQL database, in this process."""
    os.environ["BEHIND_TLS_PROXY"] = "1"
    with served("postgres") as (server, _fixtures, postmaster):
        _accounts()
        # The server was started before the accounts existed; it reads them per request.
        with CpuMeter(server.process.pid, postmaster) as meter:
            found = attack(server.port, seconds)
        counted = _counted()
    account, address = found["statuses"]["account"], found["statuses"]["address"]
    times = [took for took, status in found["logins"] if status == 302]
    return {
        "seconds": seconds,
        "account_attempts": len(account),
        "account_refused": account.count(429),
        "account_checked": counted["account_failures"],
        "address_attempts": len(address),
        "address_refused": address.count(429),
        "address_failures": counted["address_failures"],
        "failed_attempts": len(account) + len(address),
        "audited_failures": counted["audited_failures"],
        "logins": len(found["logins"]),
        "logins_ok": len(times),
        "login_p50": statistics.median(times) if times else 0.0,
        "login_p95": _percentile(times, 0.95),
        "login_max": max(times, default=0.0),
        "other_statuses": sorted(
            {s for s in account + address if s not in (400, 429)}
            | {s for _t, s in found["logins"] if s != 302}
        ),
        "cpu_s": meter.seconds,
    }


def verdicts(row: dict) -> dict[str, bool]:
    """Each target and whether the run met it."""
    return {
        f"at most {ACCOUNT_LIMIT} passwords checked for the attacked account": (
            row["account_checked"] <= ACCOUNT_LIMIT
        ),
        f"at most {ADDRESS_LIMIT} failed log-ins counted from the attacking address": (
            row["address_failures"] <= ADDRESS_LIMIT
        ),
        "every failed log-in audited": row["audited_failures"] == row["failed_attempts"],
        f"every delegate's log-in succeeded, p95 under {P95_S:g} s": (
            row["logins"] > 0 and row["logins_ok"] == row["logins"] and row["login_p95"] < P95_S
        ),
        "no other answer than 400, 302 or 429": not row["other_statuses"],
    }


def report(row: dict) -> str:
    """The results as Markdown."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Log-in under attack results",
        "",
        f"Run on {now} with `python bench/login_attack.py --seconds {row['seconds']:g}` on "
        f"{os.cpu_count()} cores (gunicorn, 2 sync workers, PostgreSQL); the CPU of the "
        f"server and PostgreSQL over the run was {row['cpu_s']:.0f} s.",
        "",
        "| | attempts | refused with 429 | counted as failures |",
        "|---|---:|---:|---:|",
        f"| one account, from {ACCOUNT_ATTACKER} | {row['account_attempts']:,} | "
        f"{row['account_refused']:,} | {row['account_checked']} (passwords checked) |",
        f"| {ATTEMPTS:,} accounts, from {ADDRESS_ATTACKER} | {row['address_attempts']:,} | "
        f"{row['address_refused']:,} | {row['address_failures']} |",
        "",
        f"Failed log-ins {row['failed_attempts']:,}, audit entries of failed log-ins "
        f"{row['audited_failures']:,}. {DELEGATES} delegates on addresses of their own, one "
        f"log-in a second between them, logged in {row['logins_ok']:,} times out of "
        f"{row['logins']:,}: p50 "
        f"{row['login_p50'] * 1000:.0f} ms, p95 {row['login_p95'] * 1000:.0f} ms, max "
        f"{row['login_max'] * 1000:.0f} ms (the page and the form).",
        "",
        "| target | result |",
        "|---|---|",
    ]
    lines += [f"| {name} | {'pass' if ok else 'FAIL'} |" for name, ok in verdicts(row).items()]
    if row["other_statuses"]:
        lines += ["", f"Other statuses seen: {row['other_statuses']}."]
    lines += ["", "Reproduce: `.venv/bin/python bench/login_attack.py` (part of `make bench`).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        sys.stdout.write(json.dumps(run(args.seconds)) + "\n")
        return 0
    if not on_postgres():
        return under_postgres(__file__, argv)
    row = child_result([sys.executable, __file__, "--one", "--seconds", str(args.seconds)])
    if row is None:
        return 2
    text = report(row)
    args.output.write_text(text, encoding="utf-8")
    sys.stdout.write(text + f"\nFigures written to {args.output}.\n")
    return 0 if all(verdicts(row).values()) else 1


if __name__ == "__main__":
    sys.exit(main())
