from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=100, help_text=_("What the token is for, e.g. “nightly export”.")
    )
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=settings.PSN_API_TOKEN_MAX_DAYS,
        initial=settings.PSN_API_TOKEN_DEFAULT_DAYS,
    )
