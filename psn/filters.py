"""The audit trail's filters, shared by the page and the API."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AuditAction, AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(choices=AuditAction.choices, label=_("Action"))
    actor = django_filters.CharFilter(
        field_name="actor_email", lookup_expr="icontains", label=_("Actor email"), max_length=254
    )
    object_type = django_filters.CharFilter(label=_("Object type"), max_length=100)
    object_id = django_filters.CharFilter(label=_("Object id"), max_length=64)
    since = django_filters.DateFilter(
        field_name="at", lookup_expr="date__gte", label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    until = django_filters.DateFilter(
        field_name="at", lookup_expr="date__lte", label=_("Until"), widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = AuditEvent
        fields = ["action", "actor", "object_type", "object_id", "since", "until"]
