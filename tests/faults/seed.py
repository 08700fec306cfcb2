"""Builds the PostgreSQL restart test's database from scratch when the test run is on SQLite (no PostgreSQL test
database to copy with pg_dump): ``python -m tests.faults.seed`` with DATABASE_URL pointing at the throwaway
cluster migrates it, then makes the rows the test needs (tests/conftest.py's world, a person with consent covering
the sending partner, two needs, an API token) and prints what the test uses as one JSON line after ``MARKER``.
"""

import json
import os

MARKER = "PSN-FAULT-SEED "


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psn.settings")
    import django

    django.setup()

    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)

    from accounts.services import api_token_create
    from cases.models import Consent
    from tests.cases.support import build_setup
    from tests.conftest import build_world

    world = build_world()
    setup = build_setup(world)
    Consent.objects.filter(person=setup.person).update(recorded_by_partner=world.sending)
    _, token = api_token_create(user=world.user("sending_referral_staff"), name="load", expires_in_days=1)
    print(MARKER + json.dumps({"person": setup.person.pk, "receiving_partner": world.receiving.pk, "token": token}))


if __name__ == "__main__":
    main()
