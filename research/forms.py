from django import forms
from django.utils.translation import gettext_lazy as _

from partners.models import Partner, PartnerKind

from .models import ResearchGrant


class DateInput(forms.DateInput):
    input_type = "date"


class GrantForm(forms.Form):
    partner = forms.ModelChoiceField(label=_("Research partner"), queryset=Partner.objects.none())
    period_start = forms.DateField(label=_("Extracts cover from"), widget=DateInput)
    period_end = forms.DateField(label=_("Extracts cover up to"), widget=DateInput)
    valid_until = forms.DateField(
        label=_("Access valid until"), widget=DateInput, help_text=_("The partner downloads extracts until this day.")
    )

    def __init__(self, *args, task_force=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.filter(
            task_force=task_force, kind=PartnerKind.RESEARCH, active=True
        ).order_by("name")


class ExtractForm(forms.Form):
    grant = forms.ModelChoiceField(label=_("Grant"), queryset=ResearchGrant.objects.none())
    stable_key = forms.BooleanField(
        label=_("Stable key (longitudinal study)"),
        required=False,
        help_text=_("A person keeps the same pseudonym in every extract of this grant made with a stable key."),
    )
    shift_dates = forms.BooleanField(
        label=_("Shift dates"), required=False, help_text=_("Each person's dates move by a random -30 to +30 days.")
    )
    suppress = forms.BooleanField(
        label=_("Suppress cells that break k-anonymity"),
        required=False,
        help_text=_(
            "Otherwise an extract where fewer than 5 people share their age band, neighborhood and language is refused."
        ),
    )

    def __init__(self, *args, grants=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grant"].queryset = grants if grants is not None else ResearchGrant.objects.none()
        self.fields["grant"].label_from_instance = lambda grant: (
            f"{grant.partner.name}: {grant.period_start} – {grant.period_end}"
        )
