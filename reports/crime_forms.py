"""The crime-count upload form: the shape of the input only; the file's rules are the service's (reports/crime.py)."""

from django import forms
from django.utils.translation import gettext_lazy

from partners.models import Partner


class CrimeCountUploadForm(forms.Form):
    partner = forms.ModelChoiceField(
        label=gettext_lazy("Police partner"), queryset=Partner.objects.none(), empty_label=None
    )
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("UTF-8 CSV, at most 1 MB and 5,000 lines."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners
