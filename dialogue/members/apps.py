from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "dialogue.members"
    label = "members"
    verbose_name = _("Membership")

    def ready(self):
        from dialogue.members import signals  # noqa: F401
