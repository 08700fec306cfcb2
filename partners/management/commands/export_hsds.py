"""Export a task force's directory in Open Referral HSDS 3 (DESIGN.md "Fixed interfaces")."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from partners.hsds import services
from partners.models import TaskForce


class Command(BaseCommand):
    help = "Export the directory of a task force as HSDS 3: the JSON form or the CSV package (a zip)."

    def add_arguments(self, parser):
        parser.add_argument("--task-force", required=True, metavar="SLUG")
        parser.add_argument(
            "--format", default="json", choices=["json", "zip", "csv"], help="json, or zip (csv: the same zip)"
        )
        parser.add_argument(
            "--output", "--out", dest="output", required=True, metavar="PATH", help="a file, or - for stdout"
        )

    def handle(self, *args, **options):
        task_force = TaskForce.objects.filter(slug=options["task_force"]).first()
        if task_force is None:
            raise CommandError(f"No task force with the slug {options['task_force']!r}.")
        output = options["output"]
        if output == "-" and options["format"] != "json":
            raise CommandError("Only the JSON form goes to stdout: give the zip a file name with --output.")
        try:
            export = services.directory_export(actor=None, task_force=task_force, file_format=options["format"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if output == "-":
            self.stdout.write(export.content.decode("utf-8"), ending="")
            return
        try:
            Path(output).write_bytes(export.content)
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror}") from exc
        self.stderr.write(f"Wrote {len(export.content)} bytes to {output}.")
