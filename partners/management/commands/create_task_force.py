from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from partners import services


class Command(BaseCommand):
    help = "Create a task force (the tenant of one federal district)."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="short lowercase id, e.g. wdmo")
        parser.add_argument("--name", required=True, help="e.g. 'Western District of Missouri'")
        parser.add_argument("--district", default="", help="federal judicial district")
        parser.add_argument("--timezone", default="America/Chicago", help="IANA time zone, e.g. America/Chicago")
        parser.add_argument("--sla-business-days", type=int, default=2, help="acknowledgement window")

    def handle(self, *args, **options):
        try:
            task_force = services.task_force_create(
                actor_user=None,
                name=options["name"],
                slug=options["slug"],
                district=options["district"] or options["name"],
                timezone=options["timezone"],
                sla_business_days=options["sla_business_days"],
            )
        except ValidationError as exc:
            lines = [f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
            raise CommandError("Task force not created:\n  " + "\n  ".join(lines)) from exc
        self.stdout.write(self.style.SUCCESS(f"Created task force {task_force.name} ({task_force.slug})."))
