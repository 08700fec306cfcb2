"""The directory management forms: they check the shape of the input; the rules (who may change what,
names unique in the task force, categories of the task force, what a logo must be) are in
``partners.services``, whose ``ValidationError`` lands next to the field it names."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import Language, Partner, Service
from .services import SERVICE_CAPACITY_MAX


class _ServiceErrorsMixin:
    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service function's ValidationError next to its field (or above the form)."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


def _https_by_default(model_field, **kwargs):
    # A web address typed without a scheme is taken as https:// (Django 6's default, chosen now).
    if isinstance(model_field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return model_field.formfield(**kwargs)


def _languages_field() -> forms.ModelMultipleChoiceField:
    # Checkboxes rather than a multi-select box: usable with a thumb on a phone.
    return forms.ModelMultipleChoiceField(
        label=_("Languages"),
        queryset=Language.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        to_field_name="code",
    )


class PartnerForm(_ServiceErrorsMixin, forms.ModelForm):
    """A partner's descriptive fields, languages and logo; ``kind`` only for coordinators
    (``with_kind=False`` leaves it out for a partner admin, who cannot change it)."""

    languages = _languages_field()
    # A plain file input: the stored logo is private (media is not served), so no "currently" link.
    logo = forms.ImageField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG, GIF or WebP, at most 1 MB."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the current logo"), required=False)

    class Meta:
        model = Partner
        formfield_callback = _https_by_default
        fields = [
            "name",
            "kind",
            "description",
            "address_1",
            "city",
            "state_province",
            "postal_code",
            "phone",
            "email",
            "website",
            "service_area",
            "languages",
            "logo",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, with_kind: bool = True, has_logo: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_kind:
            del self.fields["kind"]
        if not has_logo:
            del self.fields["remove_logo"]

    def service_arguments(self) -> dict:
        """The cleaned data as ``partner_create`` / ``partner_update`` take it (no ``logo``: keep it)."""
        data = dict(self.cleaned_data)
        logo, remove = data.pop("logo", None), data.pop("remove_logo", False)
        if isinstance(logo, UploadedFile):
            data["logo"] = logo
        elif remove:
            data["logo"] = None
        return data


class ServiceForm(_ServiceErrorsMixin, forms.ModelForm):
    """A service's fields. Its partner is fixed (by the page it is added from) and never changes."""

    languages = _languages_field()

    class Meta:
        model = Service
        formfield_callback = _https_by_default
        fields = [
            "name",
            "description",
            "categories",
            "eligibility",
            "capacity",
            "accepting_referrals",
            "languages",
            "hours",
            "contact_name",
            "contact_phone",
            "contact_email",
            "url",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "eligibility": forms.Textarea(attrs={"rows": 3}),
            "hours": forms.Textarea(attrs={"rows": 3}),
            "categories": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, task_force, current_categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        categories = self.fields["categories"]
        categories.queryset = selectors.taxonomy_term_choices_for(task_force=task_force, keep=current_categories)
        categories.to_field_name = "code"
        categories.required = False
        self.fields["capacity"].max_value = SERVICE_CAPACITY_MAX
        self.fields["capacity"].validators.append(MaxValueValidator(SERVICE_CAPACITY_MAX))
        self.fields["capacity"].widget.attrs["max"] = SERVICE_CAPACITY_MAX
