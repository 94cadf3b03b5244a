"""Make the history of responses append-only in the database itself: a stored version of a
delegation's response can be neither changed nor deleted, whatever writes to the tables."""

from django.db import migrations

MESSAGE = "the history of responses is append-only"
SQLITE_CREATE = [
    f"""CREATE TRIGGER surveys_responseversion_no_update BEFORE UPDATE ON surveys_responseversion
       BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    f"""CREATE TRIGGER surveys_responseversion_no_delete BEFORE DELETE ON surveys_responseversion
       BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS surveys_responseversion_no_update;",
    "DROP TRIGGER IF EXISTS surveys_responseversion_no_delete;",
]
POSTGRES_CREATE = [
    f"""CREATE OR REPLACE FUNCTION surveys_responseversion_refuse() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER surveys_responseversion_no_change
       BEFORE UPDATE OR DELETE ON surveys_responseversion
       FOR EACH ROW EXECUTE FUNCTION surveys_responseversion_refuse();""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS surveys_responseversion_no_change ON surveys_responseversion;",
    "DROP FUNCTION IF EXISTS surveys_responseversion_refuse();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("surveys", "0002_version_letter")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        )
    ]
