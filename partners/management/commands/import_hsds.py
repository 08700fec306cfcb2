"""Import an Open Referral HSDS 3 file into a task force's directory (DESIGN.md "Fixed interfaces")."""

from django.core.management.base import BaseCommand, CommandError

from partners.hsds import services
from partners.hsds.reader import iter_problem_lines
from partners.models import TaskForce


class Command(BaseCommand):
    help = (
        "Import HSDS 3 (a .json file, a .zip CSV package or a folder of its CSV files) into a task force's "
        "directory: all or nothing, with a line-by-line report. Exits non-zero when the file is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH")
        parser.add_argument("--task-force", required=True, metavar="SLUG")
        parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")

    def handle(self, *args, **options):
        task_force = TaskForce.objects.filter(slug=options["task_force"]).first()
        if task_force is None:
            raise CommandError(f"No task force with the slug {options['task_force']!r}.")
        result = services.directory_import_path(task_force=task_force, path=options["path"], dry_run=options["dry_run"])
        for line in iter_problem_lines(result.problems):
            self.stdout.write(line)
        if result.counts:
            self.stdout.write(f"{'table':24} {'created':>8} {'updated':>8} {'unchanged':>9}")
            for table, counts in result.counts.items():
                self.stdout.write(
                    f"{table:24} {counts.get('created', 0):>8} {counts.get('updated', 0):>8} "
                    f"{counts.get('unchanged', 0):>9}"
                )
        errors = sum(1 for problem in result.problems if problem.severity == "error")
        if errors:
            raise CommandError(f"Refused: {errors} problem(s); nothing was imported.")
        if options["dry_run"]:
            self.stdout.write(self.style.SUCCESS("Dry run: the file can be imported; nothing was written."))
        else:
            self.stdout.write(self.style.SUCCESS("Imported."))
