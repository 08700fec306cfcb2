"""Forms of the people pages: the search, entering and correcting a person, recording and revoking consent, and
choosing the record a coordinator merges. They check the shape of the input; the rules (names, dates, the
duplicate check, who may) are the services' in cases/people.py and cases/consent.py, whose ValidationErrors
are shown next to the fields they name (``add_service_errors``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partners.forms import _ServiceErrorsMixin
from partners.models import Language, Partner

from .consent import CONSENT_FILE_TYPES
from .models import ConsentMethod, ConsentScope, ConsentShares
from .people import PERSON_FIELDS, phone_digits

MAX_ID = 2**63 - 1
EARLIEST_BIRTH_YEAR = 1900
DATE = {"type": "date"}


def _date(label, *, required: bool = False) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs=DATE))


class PersonSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or alias"), required=False, max_length=200)
    date_of_birth = _date(_("Date of birth"))
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and len(phone_digits(phone)) < 7:
            raise forms.ValidationError(_("Enter the whole phone number (at least 7 digits)."))
        return phone

    def selector_arguments(self) -> dict:
        data = self.cleaned_data
        return {"q": data.get("q") or None, "date_of_birth": data.get("date_of_birth"), "phone": data.get("phone")}


class RecordsRequestLookupForm(forms.Form):
    """The records request's name and date of birth, all three required (cases/records_request.py)."""

    given_name = forms.CharField(label=_("First name"), max_length=100)
    family_name = forms.CharField(label=_("Last name"), max_length=100)
    date_of_birth = _date(_("Date of birth"), required=True)

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        if value.year < EARLIEST_BIRTH_YEAR:
            raise forms.ValidationError(_("Check the year of birth."))
        return value


class PersonForm(_ServiceErrorsMixin, forms.Form):
    """Entering or correcting a person (``person_create`` runs the duplicate check and the rules)."""

    given_name = forms.CharField(label=_("First name"), max_length=100)
    family_name = forms.CharField(label=_("Last name"), max_length=100)
    aliases = forms.CharField(
        label=_("Aliases"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Street names, other spellings: one per line."),
    )
    date_of_birth = _date(_("Date of birth"))
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    preferred_language = forms.ModelChoiceField(
        label=_("Preferred language"), queryset=Language.objects.order_by("name"), required=False, empty_label="—"
    )
    neighborhood = forms.CharField(label=_("Neighborhood"), required=False, max_length=100)

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        if value is not None and value.year < EARLIEST_BIRTH_YEAR:
            raise forms.ValidationError(_("Check the year of birth."))
        return value

    def service_arguments(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in PERSON_FIELDS}


class ConsentForm(_ServiceErrorsMixin, forms.Form):
    scope = forms.ChoiceField(
        label=_("The consent covers"),
        choices=ConsentScope.choices,
        initial=ConsentScope.PARTNERS,
        widget=forms.RadioSelect,
    )
    partners = forms.ModelMultipleChoiceField(
        label=_("Partners"),
        queryset=Partner.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only when the consent names partners."),
    )
    shares = forms.MultipleChoiceField(
        label=_("What may be shared"), choices=ConsentShares.choices, widget=forms.CheckboxSelectMultiple
    )
    method = forms.ChoiceField(label=_("How it was given"), choices=ConsentMethod.choices, widget=forms.RadioSelect)
    file = forms.FileField(
        label=_("Signed form"),
        required=False,
        help_text=_("For an uploaded consent: %(types)s, at most 5 MB.")
        % {"types": ", ".join(CONSENT_FILE_TYPES.values())},
    )
    given_on = _date(_("Given on"), required=True)
    expires_on = _date(_("Expires on"))

    def __init__(self, data=None, files=None, *, partners, **kwargs):
        super().__init__(data, files, **kwargs)
        self.fields["partners"].queryset = partners

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "scope": data["scope"],
            "partners": list(data.get("partners") or []),
            "shares": data["shares"],
            "method": data["method"],
            "given_on": data["given_on"],
            "expires_on": data.get("expires_on"),
            "file": data.get("file") or None,
        }


class RevokeForm(_ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is the consent revoked?"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class MergeSearchForm(forms.Form):
    """The merge page's search (GET): a name to find the other record, or the record chosen for the preview."""

    q = forms.CharField(label=_("Find the other record by name or alias"), required=False, max_length=200)
    other = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)


class MergeForm(_ServiceErrorsMixin, forms.Form):
    merge = forms.IntegerField(min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
