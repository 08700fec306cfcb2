"""Forms of the referral pages: the list's filters (checked here, applied by ``cases.selectors``), the
transition forms (a coded reason and text, or the partner of a transfer) and the note form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partners.models import Partner, TaxonomyTerm

from .models import NoteVisibility, Priority, ReasonCode, Status
from .selectors import DEFAULT_ORDERING, ORDERINGS

YES_NO = [("", "—"), ("true", _("Yes")), ("false", _("No"))]
ORDERING_LABELS = {
    "-created": _("Newest first"),
    "created": _("Oldest first"),
    "-updated": _("Recently changed"),
    "updated": _("Least recently changed"),
    "due": _("Due date, soonest first"),
    "-due": _("Due date, latest first"),
    "priority": _("Priority, most urgent first"),
    "-priority": _("Priority, least urgent first"),
    "status": _("Status"),
    "reference": _("Reference"),
    "-reference": _("Reference, descending"),
}


class ReferralFilterForm(forms.Form):
    """The list's filters, in the URL. Partners and needs are the task force's own: another task force's id is
    not a valid choice (a 400, as on the directory pages)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200, help_text=_("Reference or name."))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", "—"), *Status.choices])
    partner = forms.TypedChoiceField(label=_("Partner"), required=False, coerce=int, empty_value=None)
    need = forms.TypedChoiceField(label=_("Need"), required=False, coerce=int, empty_value=None)
    priority = forms.ChoiceField(label=_("Priority"), required=False, choices=[("", "—"), *Priority.choices])
    created_from = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(label=_("Created to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    overdue = forms.TypedChoiceField(
        label=_("Overdue"), required=False, choices=YES_NO, coerce=lambda value: value == "true", empty_value=None
    )
    ordering = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[
            (key, ORDERING_LABELS.get(key, key)) for key in sorted(ORDERINGS, key=lambda k: k != DEFAULT_ORDERING)
        ],
    )

    def __init__(self, data=None, *, task_force):
        super().__init__(data)
        partners = Partner.objects.filter(task_force=task_force).order_by("name").values_list("pk", "name")
        needs = TaxonomyTerm.objects.filter(task_force=task_force).order_by("name").values_list("pk", "name")
        self.fields["partner"].choices = [("", "—"), *((str(pk), name) for pk, name in partners)]
        self.fields["need"].choices = [("", "—"), *((str(pk), name) for pk, name in needs)]

    def clean(self):
        data = super().clean()
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and start > end:
            self.add_error("created_to", _("The end is before the start."))
        return data

    def selector_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "q": data.get("q") or None,
            "status": data.get("status") or None,
            "partner": data.get("partner"),
            "need": data.get("need"),
            "priority": data.get("priority") or None,
            "created_from": data.get("created_from"),
            "created_to": data.get("created_to"),
            "overdue": data.get("overdue"),
            "ordering": data.get("ordering") or DEFAULT_ORDERING,
        }


class ReasonForm(forms.Form):
    """Decline, close unsuccessful, withdraw, complete: a code from the task force's list for that kind and text
    (the service says when the code asks for text)."""

    reason = forms.ModelChoiceField(label=_("Reason"), queryset=ReasonCode.objects.none(), empty_label="—")
    text = forms.CharField(
        label=_("Explanation"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, data=None, *, codes, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["reason"].queryset = codes


class TransferForm(forms.Form):
    to_partner = forms.ModelChoiceField(label=_("Transfer to"), queryset=Partner.objects.none(), empty_label="—")
    text = forms.CharField(
        label=_("Explanation"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, data=None, *, partners, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["to_partner"].queryset = partners


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))
    visibility = forms.ChoiceField(
        label=_("Who reads it"), choices=NoteVisibility.choices, initial=NoteVisibility.SHARED, widget=forms.RadioSelect
    )
