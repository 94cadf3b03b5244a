"""The `dialogue` command: Django's manage.py under the project's own name."""

import os
import sys


def command_name(name: str, known: dict[str, str]) -> str:
    """The management command meant by `name`: hyphens and underscores are interchangeable,
    so `dialogue draft-note` runs `draft_note`, and `dialogue load_demo` runs `load-demo`."""
    if name in known or name.startswith("-"):
        return name
    for candidate in (name.replace("-", "_"), name.replace("_", "-")):
        if candidate in known:
            return candidate
    return name


def main() -> None:
    """Run a management command with Dialogue's settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialogue.settings")
    import django
    from django.core.management import execute_from_command_line, get_commands

    argv = list(sys.argv)
    if len(argv) > 1:
        django.setup()
        argv[1] = command_name(argv[1], get_commands())
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
