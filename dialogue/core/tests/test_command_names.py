import pytest

from dialogue.__main__ import command_name

KNOWN = {"draft_note": "dialogue.documents", "load-demo": "dialogue.demo", "migrate": "django"}


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("draft-note", "draft_note"),
        ("draft_note", "draft_note"),
        ("load-demo", "load-demo"),
        ("load_demo", "load-demo"),
        ("migrate", "migrate"),
        ("--help", "--help"),
        ("no-such-command", "no-such-command"),
    ],
)
def test_hyphens_and_underscores_name_the_same_command(typed, meant):
    assert command_name(typed, KNOWN) == meant
