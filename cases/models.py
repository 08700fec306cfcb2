"""Closed-loop referrals: the person referred, their consent, the referral and its lifecycle (transitions),
notes, attachments, the coded reason lists and the in-app notifications.

Every row carries its task force (copied from its parent in ``clean()``) so every query leads with it. The
state machine lives in ``cases/lifecycle.py``; models only hold fields, choices, constraints and indexes.
"""

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.models import Language, Partner, Service, TaskForce, TaxonomyTerm

# --- Coded lists -------------------------------------------------------------------------------------------


class ReasonKind(models.TextChoices):
    DECLINE = "decline", _("Decline reason")
    UNSUCCESSFUL = "unsuccessful", _("Unsuccessful-close reason")
    OUTCOME = "outcome", _("Completion outcome")
    WITHDRAW = "withdraw", _("Withdrawal reason")


class ReasonCode(models.Model):
    """A coded reason or outcome of a task force (seeded with defaults, configurable by coordinators)."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="reason_codes")
    kind = models.CharField(_("kind"), max_length=20, choices=ReasonKind.choices)
    code = models.CharField(_("code"), max_length=50, validators=[RegexValidator(r"^[a-z0-9_-]+$")])
    label = models.CharField(_("label"), max_length=120)
    needs_text = models.BooleanField(_("asks for a written explanation"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "position", "label"]
        constraints = [
            models.UniqueConstraint(fields=["task_force", "kind", "code"], name="reason_code_unique_in_tf"),
        ]

    def __str__(self) -> str:
        return self.label


# --- People and consent ------------------------------------------------------------------------------------


class Person(models.Model):
    """The individual referred: only what a partner needs to reach and serve them (DESIGN.md)."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="people")
    given_name = models.CharField(_("first name"), max_length=100)
    family_name = models.CharField(_("last name"), max_length=100)
    # One alias per line ("also known as"): street names, maiden names, other spellings.
    aliases = models.TextField(_("aliases"), blank=True, max_length=1000, help_text=_("One per line."))
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # The phone's digits only (last 10 for U.S. numbers): what duplicate detection compares.
    phone_digits = models.CharField(max_length=15, blank=True, editable=False)
    preferred_language = models.ForeignKey(
        Language, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("language")
    )
    neighborhood = models.CharField(_("neighborhood"), max_length=100, blank=True)
    # The names and aliases, lower-cased and unaccented, one string: what the fuzzy search reads.
    search_text = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # Set when a coordinator merged this record into another: it is kept (history, audit) but hidden.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from", editable=False
    )
    merged_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["family_name", "given_name"]
        indexes = [
            models.Index(fields=["task_force", "family_name", "given_name"], name="person_tf_name_idx"),
            models.Index(fields=["task_force", "date_of_birth"], name="person_tf_dob_idx"),
            models.Index(fields=["task_force", "phone_digits"], name="person_tf_phone_idx"),
            # The referral list's name search: people without search_text (saved outside the people service).
            models.Index(fields=["task_force"], condition=models.Q(search_text=""), name="person_unfolded_idx"),
        ]
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]


class ConsentMethod(models.TextChoices):
    VERBAL = "verbal", _("Verbal")
    WRITTEN = "written", _("Written (signed form kept by the partner)")
    UPLOAD = "upload", _("Written, uploaded")


class ConsentScope(models.TextChoices):
    PARTNERS = "partners", _("The partners named")
    TASK_FORCE = "task_force", _("Every partner of the task force")


class ConsentShares(models.TextChoices):
    CONTACT = "contact", _("Contact details")
    NEEDS = "needs", _("Needs and referral reason")
    HISTORY = "history", _("Referral history and outcomes")


class Consent(models.Model):
    """A person's agreement to share their information with partners (or the whole task force), until a date;
    revocable. A referral to a non-government partner needs one that is valid for that partner."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="consents", editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents")
    scope = models.CharField(_("covers"), max_length=20, choices=ConsentScope.choices, default=ConsentScope.PARTNERS)
    partners = models.ManyToManyField(Partner, blank=True, related_name="consents", verbose_name=_("partners"))
    # What may be shared: a list of ConsentShares values.
    shares = models.JSONField(_("what is shared"), default=list)
    method = models.CharField(_("how it was given"), max_length=10, choices=ConsentMethod.choices)
    file = models.FileField(_("signed form"), upload_to="consents/", blank=True, max_length=255)
    given_on = models.DateField(_("given on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    recorded_by_partner = models.ForeignKey(
        Partner, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    revoke_reason = models.CharField(_("reason for revoking"), max_length=300, blank=True)

    class Meta:
        ordering = ["-given_on", "-recorded_at"]
        indexes = [models.Index(fields=["task_force", "person", "revoked_at"], name="consent_tf_person_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True) | models.Q(expires_on__gte=models.F("given_on")),
                name="consent_expires_after_given",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_method_display()} · {self.given_on}"

    def clean(self) -> None:
        if self.person_id:
            self.task_force_id = self.person.task_force_id


# --- Referrals ---------------------------------------------------------------------------------------------


class Status(models.TextChoices):
    """The lifecycle of DESIGN.md (after HL7 FHIR Task). ``cases/lifecycle.py`` says which moves are legal."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CLOSED_UNSUCCESSFUL = "closed_unsuccessful", _("Closed unsuccessful")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    TRANSFERRED = "transferred", _("Transferred")


OPEN_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.ACCEPTED, Status.IN_PROGRESS)
CLOSED_STATUSES = (
    Status.DECLINED,
    Status.COMPLETED,
    Status.CLOSED_UNSUCCESSFUL,
    Status.WITHDRAWN,
    Status.TRANSFERRED,
)


class Priority(models.TextChoices):
    """FHIR request priority."""

    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")
    ASAP = "asap", _("As soon as possible")
    STAT = "stat", _("Immediately")


# The referral list's ordering by priority, most pressing first (cases/selectors.py); an index of Referral holds it
# as written here, so the list orders a whole task force through the index.
PRIORITY_RANK = models.Case(
    models.When(priority=Priority.STAT, then=models.Value(0)),
    models.When(priority=Priority.ASAP, then=models.Value(1)),
    models.When(priority=Priority.URGENT, then=models.Value(2)),
    default=models.Value(3),
)


class Referral(models.Model):
    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="referrals", editable=False)
    # A short public reference shown to people (R-2026-000123): never the database id alone.
    reference = models.CharField(_("reference"), max_length=20, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="referrals")
    sending_partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="referrals_sent")
    receiving_partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="referrals_received")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals")
    needs = models.ManyToManyField(TaxonomyTerm, related_name="referrals", verbose_name=_("needs"))
    reason = models.TextField(_("reason for the referral"), blank=True, max_length=4000)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.ROUTINE)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    # The referral this one continues (a transfer), and the transfer that continued it.
    transferred_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="transferred_to", editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # The clock (DESIGN.md "Service-level clock"): set by lifecycle.py, read by the reports.
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    acknowledge_by = models.DateTimeField(null=True, blank=True, editable=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_contact_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The coded reason of the last decline / unsuccessful close / withdrawal, or the completion outcome.
    close_reason = models.ForeignKey(
        ReasonCode, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["task_force", "reference"], name="referral_reference_unique_in_tf"),
            models.CheckConstraint(
                condition=~models.Q(sending_partner=models.F("receiving_partner")),
                name="referral_partners_differ",
            ),
        ]
        indexes = [
            models.Index(fields=["task_force", "receiving_partner", "status"], name="referral_tf_recv_status_idx"),
            models.Index(fields=["task_force", "sending_partner", "status"], name="referral_tf_send_status_idx"),
            models.Index(fields=["task_force", "status", "created_at"], name="referral_tf_status_idx"),
            models.Index(fields=["task_force", "person"], name="referral_tf_person_idx"),
            # The list's default ordering (newest first, then id): its deep pages walk this index alone to their
            # offset (psn/pagination.py), with no sort of the task force's referrals.
            models.Index(fields=["task_force", "created_at", "id"], name="referral_tf_created_id_idx"),
            models.Index(fields=["task_force", "priority", "status"], name="referral_tf_priority_idx"),
            models.Index(fields=["task_force", "due_date"], name="referral_tf_due_idx"),
            # The inbox's "sent by you, changed lately" section and its count.
            models.Index(fields=["task_force", "sending_partner", "updated_at"], name="referral_tf_send_updated_idx"),
            # The list's ordering by update time (by due date, latest first: PostgreSQL only, migration 0004).
            models.Index(fields=["task_force", "updated_at"], name="referral_tf_updated_idx"),
            # A coordinator's need filter (every referral of the task force, semi-joined to the needs by id): read
            # from this index alone, not from the table (the needs' own index: migration 0005).
            models.Index(fields=["task_force", "id"], name="referral_tf_id_idx"),
            # The list's ordering by priority (then newest first).
            models.Index(
                models.F("task_force"),
                PRIORITY_RANK,
                models.F("created_at").desc(),
                name="referral_tf_priority_rank_idx",
            ),
            # The overdue sweep: submitted, not yet marked, deadline passed.
            models.Index(
                fields=["acknowledge_by"],
                condition=models.Q(status="submitted", overdue_at__isnull=True),
                name="referral_overdue_sweep_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"referral {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.overdue_at is not None and self.status == Status.SUBMITTED


class Transition(models.Model):
    """One move of a referral's status: who, when, from, to, why (append-only: written by lifecycle.py)."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="+", editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="transitions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_partner = models.ForeignKey(Partner, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    reason = models.ForeignKey(ReasonCode, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason_text = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["task_force", "referral", "at"], name="transition_tf_referral_idx"),
            models.Index(fields=["task_force", "to_status", "at"], name="transition_tf_status_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.referral}: {self.from_status or '—'} → {self.to_status}"


class NoteVisibility(models.TextChoices):
    SHARED = "shared", _("Shared with the other partner")
    INTERNAL = "internal", _("Internal to my partner")


NOTE_EDIT_WINDOW_SECONDS = 15 * 60


class Note(models.Model):
    """A note on a referral, shared with the other partner or internal to the writer's partner. Editable for
    15 minutes; after that only annotated (a note whose ``annotates`` is the earlier one)."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="+", editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    author_partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=NoteVisibility.choices, default=NoteVisibility.SHARED
    )
    body = models.TextField(_("note"), max_length=10000)
    annotates = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="annotations")
    # A note that records the first contact with the person (sets Referral.first_contact_at).
    is_contact = models.BooleanField(_("records contact with the person"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["task_force", "referral", "created_at"], name="note_tf_referral_idx")]

    def __str__(self) -> str:
        return f"note {self.pk} on {self.referral}"


def attachment_path(instance, filename: str) -> str:
    """A non-guessable stored name: the original name is kept only in the row, never in the path."""
    return f"attachments/{instance.task_force_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="+", editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_by_partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=NoteVisibility.choices, default=NoteVisibility.SHARED
    )
    file = models.FileField(upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["task_force", "referral"], name="attachment_tf_referral_idx")]

    def __str__(self) -> str:
        return self.original_name


class Notification(models.Model):
    """An in-app message to one user (the inbox), mirroring the email they were sent."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    # What happened, e.g. "submitted", "accepted", "overdue": with the referral, a unique key where it must be
    # sent once (the overdue notice).
    kind = models.CharField(max_length=30)
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # When the worker claimed the email for sending (``notifications.notification_email_send``): a second delivery
    # of the task finds it set and sends nothing. Empty while due: the sweep (notification_emails_resend_unsent)
    # queues the ones a down broker lost. The demo seeds its notices as emailed.
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["task_force", "user", "read_at", "created_at"], name="notification_tf_user_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "referral", "kind"],
                condition=models.Q(kind="overdue"),
                name="notification_overdue_once",
            ),
        ]

    def __str__(self) -> str:
        return self.message


class PersonRecordJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


def person_record_path(instance, filename: str) -> str:
    """A non-guessable stored name (served only through the download views)."""
    return f"person-records/{instance.task_force_id}/{uuid.uuid4().hex}.zip"


class PersonRecordJob(models.Model):
    """One export of a person's record for a records request (cases/person_record.py), built by the worker with
    progress (a record with many referrals takes long to lay out as a PDF). The zip is kept for a day, then its file is
    deleted and the row stays as history (who asked, when, what it held: counts, no content)."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="+", editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    status = models.CharField(
        max_length=16, choices=PersonRecordJobStatus.choices, default=PersonRecordJobStatus.QUEUED, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_label = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to=person_record_path, blank=True, max_length=255, editable=False)
    size = models.PositiveBigIntegerField(default=0, editable=False)
    counts = models.JSONField(default=dict, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    language = models.CharField(max_length=8, default="en", editable=False)  # the PDF's, the requester's at the time

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("person record export")
        verbose_name_plural = _("person record exports")
        indexes = [
            models.Index(fields=["task_force", "person", "-created_at"], name="record_job_person_idx"),
            models.Index(
                fields=["created_at"], condition=models.Q(status__in=["queued", "running"]), name="record_job_open_idx"
            ),
            models.Index(fields=["expires_at"], condition=models.Q(status="done"), name="record_job_expiry_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0, progress__lte=100), name="record_job_progress_is_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"record export {self.pk} of person {self.person_id}"
