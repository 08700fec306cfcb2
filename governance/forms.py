from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MAX_DAYS, HoldKind

DAYS = {"min_value": 1, "max_value": MAX_DAYS}


class RetentionScheduleForm(forms.Form):
    """The shape of the input; the minimums (365 days for audit events) are the service's rule."""

    referral_days = forms.IntegerField(label=_("Closed referrals: days after closing"), **DAYS)
    person_days = forms.IntegerField(
        label=_("People: days after their last referral closed"),
        help_text=_("Only people with no referral left; never-referred people count from their record's creation."),
        **DAYS,
    )
    consent_days = forms.IntegerField(label=_("Consents: days after expiry or revocation"), **DAYS)
    audit_days = forms.IntegerField(
        label=_("Audit events: days"), help_text=_("At least 365 (CJIS Security Policy, AU-11)."), **DAYS
    )


class LegalHoldForm(forms.Form):
    kind = forms.ChoiceField(label=_("Record"), choices=HoldKind.choices)
    record = forms.CharField(
        label=_("Referral reference or person record number"),
        max_length=40,
        help_text=_("A referral as R-2026-000123; a person by the number in their record's address."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    until = forms.DateField(
        label=_("Until"),
        required=False,
        help_text=_("Leave empty to hold until released."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
