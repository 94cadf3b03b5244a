"""The second factor of staff accounts: a TOTP code from an authenticator app (django-otp).

Rule: an account with is_staff or is_superuser counts as logged in only once its session
has passed a TOTP code after the password. Until then the session is "half logged in":
the staff pages, the admin and the delegates' portal send it to the code page, and
everywhere else (the public site, the API) the request is served as a visitor's. So the
password alone gives a staff account no powers at all.

An account with no confirmed device enrols one first. The password alone is not enough
for that, or whoever learnt a staff password before its owner set up an app could set up
their own: the account is first e-mailed a link, valid for ENROLMENT_LINK_AGE, that must
be opened in the same browser session. Only then is it shown a new secret (as text and as
a QR code), which it confirms by typing a valid code. Wrong codes are throttled by
django-otp (1, 2, 4, 8 ... seconds between tries) and each one is in the audit trail.
"""

import datetime
import hashlib
import time
from base64 import b32encode
from collections.abc import Callable

import django_otp
import qrcode
import qrcode.image.svg
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.db import transaction
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from dialogue.core import audit, clock
from dialogue.core.errors import DomainError
from dialogue.core.models import AuditEntry
from dialogue.mail import selectors as mail_selectors
from dialogue.mail import services as mail
from dialogue.mail.models import Message

DEVICE_NAME = "Authenticator app"
CODE_PAGE = "portal:second_factor"
ENROL_PAGE = "portal:second_factor_enrol"
ENROL_LINK_PAGE = "portal:second_factor_enrol_link"
# Pages a half-logged-in staff account may open as itself.
OPEN_PAGES = frozenset({CODE_PAGE, ENROL_PAGE, ENROL_LINK_PAGE, "portal:logout"})
ENROLMENT_LINK_AGE = datetime.timedelta(minutes=30)
# At most one enrolment e-mail per device within this time.
ENROLMENT_MAIL_INTERVAL = datetime.timedelta(minutes=1)
ENROLMENT_LINK_SALT = "dialogue.members.two_factor.enrolment-link"
# Areas it is sent from to the code page; elsewhere it is served as a visitor.
GUARDED_AREAS = frozenset({"staff", "admin", "portal"})


class SecondFactorRefused(DomainError):
    """A code was wrong, or a code was typed too soon after wrong ones."""


def requires_second_factor(user) -> bool:
    """True for a logged-in staff or superuser account."""
    return bool(
        getattr(user, "is_authenticated", False)
        and (getattr(user, "is_staff", False) or getattr(user, "is_superuser", False))
    )


def has_passed_second_factor(user) -> bool:
    """True when this request's session has passed a code with one of the user's devices."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def confirmed_device(user) -> TOTPDevice | None:
    """The account's confirmed TOTP device, if it has one."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


@transaction.atomic
def enrolment_device(*, user) -> TOTPDevice:
    """The unconfirmed device `user` is enrolling, created with a new random secret if none
    is waiting. Refused when the account already has a confirmed device."""
    if confirmed_device(user) is not None:
        raise DomainError(_("This account already has an authenticator app."))
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        audit.record(
            actor=user,
            action=AuditEntry.Action.CREATE,
            obj=device,
            note="second factor: enrolment started",
        )
    return device


def _secret_digest(device: TOTPDevice) -> str:
    return hashlib.sha256(device.key.encode()).hexdigest()[:16]


def enrolment_link_token(device: TOTPDevice) -> str:
    """The signed, timed token of the enrolment link for this device: it names the account,
    the device and a digest of the device's secret, so a new secret voids it."""
    return signing.dumps(
        {"user": device.user_id, "device": device.pk, "secret": _secret_digest(device)},
        salt=ENROLMENT_LINK_SALT,
    )


def enrolment_proven(*, user, token: str | None) -> bool:
    """True when `token` is the enrolment link of the device `user` is enrolling now and is
    no older than ENROLMENT_LINK_AGE."""
    if not token or not getattr(user, "is_authenticated", False):
        return False
    try:
        data = signing.loads(token, salt=ENROLMENT_LINK_SALT, max_age=ENROLMENT_LINK_AGE)
    except signing.BadSignature:
        return False
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    if device is None or not isinstance(data, dict):
        return False
    return data == {"user": user.pk, "device": device.pk, "secret": _secret_digest(device)}


def masked_address(address: str) -> str:
    """An e-mail address as shown on a page before the second factor: the first letter of
    the mailbox, then dots, then the domain."""
    mailbox, _at, domain = address.partition("@")
    return f"{mailbox[:1]}•••@{domain}" if domain else "•••"


@transaction.atomic
def enrolment_link_send(*, user, link: Callable[[str], str]) -> Message | None:
    """E-mail the account the link that lets this browser session set up an authenticator
    app (`link` makes the link's address from its token). Sends nothing, and returns None,
    when one went out for the same device within ENROLMENT_MAIL_INTERVAL."""
    device = enrolment_device(user=user)
    if mail_selectors.queued_since(
        kind=Message.Kind.SECOND_FACTOR,
        about=device,
        since=clock.now() - ENROLMENT_MAIL_INTERVAL,
    ):
        return None
    minutes = int(ENROLMENT_LINK_AGE.total_seconds() // 60)
    address = link(enrolment_link_token(device))
    body = _(
        "Someone, probably you, has logged in to the Dialogue staff account %(account)s "
        "with its password. Staff accounts also need an authenticator app. To set one up, "
        "open this link in the same browser within %(minutes)d minutes:\n\n%(link)s\n\n"
        "If it was not you, do not open the link: change your password and tell the "
        "secretariat at once."
    ) % {
        "account": user.get_username(),
        "minutes": minutes,
        "link": address,
    }
    message = mail.queue(
        to=[user.email],
        subject=_("Set up the second factor of your Dialogue account"),
        body=body,
        kind=Message.Kind.SECOND_FACTOR,
        about=device,
        personal_links=[address],
    )
    audit.record(
        actor=user,
        action=AuditEntry.Action.UPDATE,
        obj=device,
        note="second factor: enrolment link e-mailed",
    )
    return message


def secret_text(device: TOTPDevice) -> str:
    """The device's secret in base32, in groups of four, as people type it into an app."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(device: TOTPDevice, label: str) -> SafeString:
    """The device's otpauth:// address as an inline SVG QR code: paths and presentation
    attributes only, no script and no style attribute."""
    code = qrcode.QRCode(box_size=8, border=2)
    code.add_data(device.config_url)
    image = code.make_image(
        image_factory=qrcode.image.svg.SvgPathFillImage,
        role="img",
        **{"aria-label": label},
    )
    # Markup made by qrcode from the device's own address; the label is escaped by it.
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308  # nosec B308 B703


def code_now(device: TOTPDevice, at: float | None = None) -> str:
    """The code the device accepts now: the current one, or the next one if the current one
    was already used (a code works once)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    if totp.t() <= device.last_t:
        totp.time = totp.time + device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


def _check(*, device: TOTPDevice, code: str) -> tuple[bool, str]:
    """Try `code` on `device` (locked for the check); returns (passed, why not)."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    allowed, details = device.verify_is_allowed()
    if not allowed:
        until = details.get("locked_until") if details else None
        return False, until.isoformat(timespec="seconds") if until else ""
    return device.verify_token(code), ""


def _refuse(*, user, device: TOTPDevice, throttled_until: str, what: str) -> None:
    if throttled_until:
        note = f"{what}: refused, too many wrong codes; wait until {throttled_until}"
    else:
        note = f"{what}: wrong code"
    audit.record(actor=user, action=AuditEntry.Action.LOGIN_FAILED, obj=device, note=note)


def _refusal(throttled_until: str) -> SecondFactorRefused:
    if throttled_until:
        return SecondFactorRefused(
            _("Too many wrong codes: wait a few seconds, then type the newest code."),
            field="code",
            code="throttled",
        )
    return SecondFactorRefused(
        _("This code is not valid. Type the code your authenticator app shows now."),
        field="code",
        code="wrong_code",
    )


def code_check(*, user, code: str) -> TOTPDevice:
    """Check a code typed after the password against the account's confirmed device; a wrong
    or throttled code raises SecondFactorRefused and is audited, a right one is audited as
    the log-in passing its second factor. The device is returned for django_otp.login."""
    device = confirmed_device(user)
    if device is None:
        raise DomainError(_("This account has no authenticator app yet."), code="no_device")
    with transaction.atomic():
        passed, throttled_until = _check(device=device, code=code)
        if passed:
            audit.record(
                actor=user, action=AuditEntry.Action.LOGIN, obj=user, note="second factor passed"
            )
        else:
            _refuse(user=user, device=device, throttled_until=throttled_until, what="log-in")
    if not passed:
        raise _refusal(throttled_until)
    return device


def enrolment_confirm(*, user, code: str, token: str | None) -> TOTPDevice:
    """Confirm the device being enrolled with a valid code from it, given the token of its
    e-mailed enrolment link (`enrolment_proven`); from then on the account logs in with it.
    Wrong codes are throttled and audited like those of a log-in."""
    if not enrolment_proven(user=user, token=token):
        raise DomainError(
            _("Open the link we e-mailed you in this browser first."), code="not_proven"
        )
    device = enrolment_device(user=user)
    with transaction.atomic():
        passed, throttled_until = _check(device=device, code=code)
        if passed:
            device.refresh_from_db()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            audit.record(
                actor=user,
                action=AuditEntry.Action.UPDATE,
                obj=device,
                changes={"confirmed": [False, True]},
                note="second factor: authenticator app enrolled and passed",
            )
        else:
            _refuse(user=user, device=device, throttled_until=throttled_until, what="enrolment")
    if not passed:
        raise _refusal(throttled_until)
    return device


def mark_session_passed(request, device: TOTPDevice) -> None:
    """Record in the session that it passed the second factor, under a new session key."""
    django_otp.login(request, device)
    request.session.cycle_key()


def second_factor_url(user, next_url: str) -> str:
    """The page that asks `user` for a code (or enrols a device), then goes on to next_url;
    next_url itself when it is an enrolment link (followed before the password)."""
    try:
        if resolve(next_url.split("?", 1)[0]).view_name == ENROL_LINK_PAGE:
            return next_url
    except Resolver404:
        pass
    page = CODE_PAGE if confirmed_device(user) is not None else ENROL_PAGE
    return f"{reverse(page)}?{urlencode({'next': next_url})}"


def _view_name(request) -> tuple[str, str]:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return "", ""
    area = match.namespaces[0] if match.namespaces else ""
    return area, match.view_name


class SecondFactorMiddleware:
    """Hold back a staff session that has not passed its second factor (see the module's
    rule). Placed after django_otp's OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if requires_second_factor(user) and not has_passed_second_factor(user):
            area, view_name = _view_name(request)
            if view_name not in OPEN_PAGES:
                if area in GUARDED_AREAS:
                    return redirect(second_factor_url(user, request.get_full_path()))
                request.user = AnonymousUser()
                request.auser = _visitor
        return self.get_response(request)


async def _visitor():
    return AnonymousUser()
