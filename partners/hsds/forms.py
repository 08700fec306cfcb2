"""The HSDS upload form: the shape of the input only; the rules (size, format, rights) are the service's."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import reader


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("HSDS file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.zip,application/json,application/zip"}),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Preview only (dry run): check the file and show the report, change nothing"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "A .json file (HSDS JSON) or a .zip file (the CSV package with its datapackage.json), up to %(mb)s MB."
        ) % {"mb": reader.megabytes(settings.PSN_HSDS_MAX_UPLOAD_BYTES)}
