"""The `dialogue` command: Django's manage.py under the project's own name."""

import os
import sys


def main() -> None:
    """Run a management command with Dialogue's settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialogue.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
