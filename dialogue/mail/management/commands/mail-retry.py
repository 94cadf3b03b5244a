from django.core.management.base import BaseCommand

from dialogue.mail import services


class Command(BaseCommand):
    help = (
        "Hand every outgoing e-mail that is due to the task worker, including those a lost "
        "worker left half-sent. Run it periodically, e.g. every five minutes."
    )

    def handle(self, *args, **options):
        count = services.messages_retry_due()
        self.stdout.write(f"{count} e-mail(s) handed to the task worker.")
