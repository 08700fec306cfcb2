"""Users log in by email; API tokens are personal, hashed, expiring and revocable."""

import hashlib

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), max_length=254, unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)
    deactivation_reason = models.CharField(max_length=200, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]
        indexes = [models.Index(fields=["is_active", "last_login"], name="user_active_login_idx")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest of the secret is stored; the secret is shown once."""

    PREFIX = "psn_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_id = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.PREFIX}{self.key_id}…)"

    @staticmethod
    def digest_for(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class CalendarFeedToken(models.Model):
    """A user's private calendar feed address (``/calendar/<key_id><secret>.ics``): no login, so the address is the
    credential. Only a SHA-256 digest of the secret is stored; the address is shown once, when made. Regenerating
    revokes the old one; at most one is usable per user."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="calendar_feed_tokens")
    key_id = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(revoked_at__isnull=True), name="calendarfeed_one_usable_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"calendar feed of {self.user} ({self.key_id}…)"

    @staticmethod
    def digest_for(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()
