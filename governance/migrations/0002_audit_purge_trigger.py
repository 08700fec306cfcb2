"""The audit trail's trigger (psn migration 0002) lets the retention purge delete only events older than a year.

Before: a transaction that ran ``SET LOCAL psn.audit_purge = 'on'`` could delete any event. Now the row must also be
older than 365 days (CJIS AU-11), whatever a schedule or a bug asks; updates stay refused.
"""

from django.db import migrations

NARROW = """
CREATE OR REPLACE FUNCTION psn_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('psn.audit_purge', true) = 'on'
       AND OLD.at < now() - interval '365 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

WIDE = """
CREATE OR REPLACE FUNCTION psn_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('psn.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NARROW, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(WIDE, params=None)


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial"), ("psn", "0002_audit_append_only")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
