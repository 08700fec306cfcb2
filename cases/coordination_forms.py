"""Forms of the coordinators' pages: a reason code to add or edit. They check the shape of the input; the rules (a
code unique in its list, what may change) are ``cases.reasons``', whose ``ValidationError`` lands next to the field
it names."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partners.forms import _ServiceErrorsMixin

from .models import ReasonCode, ReasonKind
from .reasons import POSITION_MAX


class ReasonCodeEditForm(_ServiceErrorsMixin, forms.Form):
    label = forms.CharField(
        label=_("Label"),
        max_length=ReasonCode._meta.get_field("label").max_length,
        help_text=_("What people see in the forms and the reports."),
    )
    position = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        max_value=POSITION_MAX,
        required=False,
        initial=0,
        help_text=_("Lower numbers come first in the list."),
    )
    needs_text = forms.BooleanField(label=_("Asks for a written explanation"), required=False)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"label": data["label"], "position": data.get("position") or 0, "needs_text": data["needs_text"]}


class ReasonCodeCreateForm(ReasonCodeEditForm):
    kind = forms.ChoiceField(label=_("List"), choices=ReasonKind.choices)
    code = forms.CharField(
        label=_("Code"),
        max_length=ReasonCode._meta.get_field("code").max_length,
        help_text=_("Lower-case letters, digits, “-” and “_”, e.g. “no_capacity”. It cannot change later."),
    )

    field_order = ["kind", "code", "label", "position", "needs_text"]

    def service_arguments(self) -> dict:
        return {"kind": self.cleaned_data["kind"], "code": self.cleaned_data["code"], **super().service_arguments()}
