"""The tenant (task force), its partner organisations and who belongs to which partner with what role,
and the directory: services, locations, contacts, the need/service taxonomy and languages."""

import uuid
import zoneinfo

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


class TaskForce(models.Model):
    """One district's partnership: the tenant. Everything else belongs to exactly one."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(
        _("slug"),
        max_length=50,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9][a-z0-9-]*$", _("Lowercase letters, digits and hyphens."))],
    )
    district = models.CharField(_("federal judicial district"), max_length=200, blank=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="America/Chicago", validators=[validate_timezone]
    )
    sla_business_days = models.PositiveSmallIntegerField(
        _("acknowledgement window (business days)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("task force")
        verbose_name_plural = _("task forces")

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class PartnerKind(models.TextChoices):
    LAW_ENFORCEMENT = "law_enforcement", _("Law enforcement")
    PROSECUTION = "prosecution", _("Prosecution")
    COMMUNITY = "community", _("Community group")
    SERVICE_PROVIDER = "service_provider", _("Service provider")
    FAITH_BASED = "faith_based", _("Faith-based")
    RESEARCH = "research", _("Research")
    GOVERNMENT = "government", _("Government")
    OTHER = "other", _("Other")


class Language(models.Model):
    """Reference data shared by every task force: an ISO 639-1 code and its English name."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


LOGO_MAX_BYTES = 1024 * 1024


def validate_logo_size(file) -> None:
    if file.size > LOGO_MAX_BYTES:
        raise ValidationError(_("The logo must be at most 1 MB."))


class Partner(models.Model):
    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="partners")
    hsds_id = models.UUIDField(_("HSDS id"), default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=PartnerKind.choices)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    address_1 = models.CharField(_("street address"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state_province = models.CharField(_("state"), max_length=50, blank=True)
    postal_code = models.CharField(_("ZIP code"), max_length=20, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True, max_length=300)
    service_area = models.CharField(_("service area"), max_length=300, blank=True)
    languages = models.ManyToManyField(Language, blank=True, related_name="partners", verbose_name=_("languages"))
    logo = models.ImageField(
        _("logo"),
        upload_to="logos/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "gif", "webp"]), validate_logo_size],
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["task_force", "name"], name="partner_name_unique_in_tf"),
            models.UniqueConstraint(fields=["task_force", "hsds_id"], name="partner_hsds_id_unique_in_tf"),
        ]
        indexes = [models.Index(fields=["task_force", "active", "kind"], name="partner_tf_active_kind_idx")]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    REFERRAL_STAFF = "referral_staff", _("Referral staff")
    PARTNER_ADMIN = "partner_admin", _("Partner admin")
    COORDINATOR = "coordinator", _("Coordinator")


class Membership(models.Model):
    """A user's role at one partner. ``task_force`` is copied from the partner so every query leads with it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="memberships")
    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="memberships", editable=False)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)
    deactivated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["partner__name"]
        constraints = [models.UniqueConstraint(fields=["user", "partner"], name="membership_user_partner_unique")]
        indexes = [
            models.Index(fields=["task_force", "user", "active"], name="membership_tf_user_idx"),
            models.Index(fields=["task_force", "partner", "active"], name="membership_tf_partner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.partner} ({self.get_role_display()})"

    def clean(self) -> None:
        if self.partner_id:
            self.task_force_id = self.partner.task_force_id


class TaxonomyTerm(models.Model):
    """A need or service category (job training, housing, ...), coded, per task force."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="taxonomy_terms")
    hsds_id = models.UUIDField(_("HSDS id"), default=uuid.uuid4, editable=False)
    code = models.CharField(_("code"), max_length=50, validators=[RegexValidator(r"^[A-Za-z0-9._-]+$")])
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["task_force", "code"], name="taxonomy_code_unique_in_tf"),
            models.UniqueConstraint(fields=["task_force", "hsds_id"], name="taxonomy_hsds_id_unique_in_tf"),
        ]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """What a partner offers. ``task_force`` is copied from the partner so every query leads with it."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="services", editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="services")
    hsds_id = models.UUIDField(_("HSDS id"), default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    categories = models.ManyToManyField(TaxonomyTerm, blank=True, related_name="services", verbose_name=_("categories"))
    eligibility = models.TextField(_("eligibility"), blank=True, max_length=2000)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True, help_text=_("People at a time."))
    accepting_referrals = models.BooleanField(_("accepting referrals now"), default=True)
    languages = models.ManyToManyField(Language, blank=True, related_name="services", verbose_name=_("languages"))
    hours = models.TextField(_("hours"), blank=True, max_length=1000)
    contact_name = models.CharField(_("contact name"), max_length=150, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    url = models.URLField(_("web page"), blank=True, max_length=300)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # PostgreSQL only: the weighted full-text vector of name and description, kept by a trigger (migration
    # 0006) so that ranking a search reads it instead of parsing every matching row again. Empty elsewhere.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["task_force", "hsds_id"], name="service_hsds_id_unique_in_tf"),
        ]
        indexes = [
            models.Index(fields=["task_force", "active", "accepting_referrals"], name="service_tf_active_acc_idx"),
            models.Index(fields=["task_force", "partner", "active"], name="service_tf_partner_idx"),
            models.Index(fields=["task_force", "name"], name="service_tf_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.partner_id:
            self.task_force_id = self.partner.task_force_id


class Location(models.Model):
    """A physical place where a partner delivers services (HSDS location + address)."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="locations", editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="locations")
    hsds_id = models.UUIDField(_("HSDS id"), default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    address_1 = models.CharField(_("street address"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state_province = models.CharField(_("state"), max_length=50, blank=True)
    postal_code = models.CharField(_("ZIP code"), max_length=20, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    services = models.ManyToManyField(Service, blank=True, related_name="locations")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["task_force", "hsds_id"], name="location_hsds_id_unique_in_tf"),
        ]
        indexes = [models.Index(fields=["task_force", "partner"], name="location_tf_partner_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.partner_id:
            self.task_force_id = self.partner.task_force_id


class Contact(models.Model):
    """A named person to reach at a partner (or for one of its services)."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="contacts", editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="contacts")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts")
    hsds_id = models.UUIDField(_("HSDS id"), default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=150)
    title = models.CharField(_("title"), max_length=150, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["task_force", "hsds_id"], name="contact_hsds_id_unique_in_tf"),
        ]
        indexes = [models.Index(fields=["task_force", "partner"], name="contact_tf_partner_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.partner_id:
            self.task_force_id = self.partner.task_force_id


class Invitation(models.Model):
    """An invitation to join a partner with a role, sent by email. The link carries a secret of which only the
    SHA-256 digest is stored; it works once, until ``expires_at``, and only for the invited address."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="invitations", editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="invitations")
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="invitations_sent", editable=False
    )
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)
    expires_at = models.DateTimeField(editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations_accepted",
        editable=False,
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations_revoked",
        editable=False,
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open invitation per address and partner: inviting again revokes the earlier one first.
            models.UniqueConstraint(
                fields=["partner", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_partner_email",
            ),
        ]
        indexes = [
            models.Index(fields=["task_force", "partner", "created_at"], name="invitation_tf_partner_idx"),
            models.Index(fields=["task_force", "email"], name="invitation_tf_email_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.partner} ({self.get_role_display()})"

    def clean(self) -> None:
        if self.partner_id:
            self.task_force_id = self.partner.task_force_id
        self.email = (self.email or "").strip().lower()

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > dj_timezone.now()


class DirectoryImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class DirectoryImport(models.Model):
    """One HSDS 3 import (or dry run) of an uploaded file into a task force's directory, with its progress and
    its line-by-line report. The uploaded file is kept privately (MEDIA_ROOT is never served) until it is
    imported or refused."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="directory_imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="directory_imports"
    )
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)
    original_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=10, choices=[("json", "JSON"), ("zip", "CSV package")])
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    file = models.FileField(upload_to="directory-imports/", blank=True, max_length=255)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=DirectoryImportStatus.choices, default=DirectoryImportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0, validators=[MaxValueValidator(100)])
    stage = models.CharField(_("stage"), max_length=100, blank=True)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["task_force", "created_at"], name="dirimport_tf_created_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="dirimport_progress_max_100"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"
