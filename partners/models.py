"""The tenant (task force), its partner organisations and who belongs to which partner with what role."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
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


class Partner(models.Model):
    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="partners")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=PartnerKind.choices)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["task_force", "name"], name="partner_name_unique_in_tf")]
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
