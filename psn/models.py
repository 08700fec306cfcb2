"""The audit trail: append-only, written only through ``psn.audit.record``."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    VIEWED = "viewed", _("viewed")
    CREATED = "created", _("created")
    CHANGED = "changed", _("changed")
    DELETED = "deleted", _("deleted")
    EXPORTED = "exported", _("exported")
    IMPORTED = "imported", _("imported")
    LOGGED_IN = "logged_in", _("logged in")
    LOGGED_OUT = "logged_out", _("logged out")
    LOGIN_FAILED = "login_failed", _("login failed")
    LOCKED_OUT = "locked_out", _("locked out")
    UNLOCKED = "unlocked", _("unlocked")
    PERMISSION_DENIED = "permission_denied", _("permission denied")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only.")

    def delete(self):
        raise PermissionError("Audit events are append-only.")

    def purge_expired(self, *, before) -> int:
        """The retention purge's one way to delete (``governance.services``, nothing else calls it): the events of
        this queryset older than ``before``, never younger than a year (CJIS AU-11; the PostgreSQL trigger refuses
        them too), inside a transaction that tells the trigger the purge is deliberate. Returns the rows deleted."""
        import datetime

        from django.db import connections, transaction

        if before > timezone.now() - datetime.timedelta(days=AUDIT_MIN_RETENTION_DAYS):
            raise PermissionError("Audit events are kept at least a year.")
        with transaction.atomic(using=self.db):
            connection = connections[self.db]
            postgresql = connection.vendor == "postgresql"
            if postgresql:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL psn.audit_purge = 'on'")
            deleted = self.filter(at__lt=before)._raw_delete(self.db)
            if postgresql:  # within an outer transaction, SET LOCAL would outlive this block: switch it off now
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL psn.audit_purge = 'off'")
            return deleted


# CJIS Security Policy 5.9.5, AU-11: the shortest time an audit event is kept.
AUDIT_MIN_RETENTION_DAYS = 365


class AuditEvent(models.Model):
    at = models.DateTimeField(default=timezone.now, editable=False, db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Kept as text too: the trail reads on its own, and PROTECT means accounts are deactivated, never deleted.
    actor_email = models.CharField(max_length=254, blank=True)
    task_force = models.ForeignKey(
        "partners.TaskForce", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    path = models.CharField(max_length=300, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["task_force", "-at"], name="audit_tf_at_idx"),
            models.Index(fields=["task_force", "object_type", "object_id"], name="audit_tf_object_idx"),
            models.Index(fields=["task_force", "actor", "-at"], name="audit_tf_actor_idx"),
            models.Index(fields=["task_force", "action", "-at"], name="audit_tf_action_idx"),
            models.Index(fields=["-at"], name="audit_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_email or '-'} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only.")
