"""`dialogue totp-code EMAIL`: the code an account's authenticator app shows now, for the
demo and for development only; it refuses to run when DIALOGUE_ENV=production."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dialogue.members import two_factor
from dialogue.members.models import User


class Command(BaseCommand):
    help = (
        "Print the TOTP code that the account's confirmed authenticator accepts now, as the "
        "demo staff login needs after its password. Refused in production."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="The account's e-mail address.")

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "totp-code is for the demo and development only; it does not run when "
                "DIALOGUE_ENV=production."
            )
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"No account with the e-mail address {options['email']}.")
        device = two_factor.confirmed_device(user)
        if device is None:
            raise CommandError(f"{user.email} has no confirmed authenticator.")
        now = time.time()
        seconds_left = device.step - int(now - device.t0) % device.step
        self.stdout.write(two_factor.code_now(device, at=now))
        if options["verbosity"] > 1:
            self.stdout.write(f"(this time step ends in {seconds_left} s)")
