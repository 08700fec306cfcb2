"""On PostgreSQL the database itself refuses to change or delete audit events.

The retention purge of a later issue deletes expired events inside a transaction that first runs
``SET LOCAL psn.audit_purge = 'on'``; nothing else can. (Test-database flushes use TRUNCATE, which this
row trigger does not cover.)
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION psn_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('psn.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER psn_auditevent_append_only
    BEFORE UPDATE OR DELETE ON psn_auditevent
    FOR EACH ROW EXECUTE FUNCTION psn_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS psn_auditevent_append_only ON psn_auditevent;
DROP FUNCTION IF EXISTS psn_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("psn", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
