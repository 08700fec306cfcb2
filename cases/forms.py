"""Forms of the referral pages: the list's filters (checked here, applied by ``cases.selectors``), filing a
referral, the transition forms (a coded reason and text, or the partner of a transfer), the note form and the
attachment upload."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.models import Partner, Service, TaxonomyTerm
from psn import access
from psn.widgets import PlainSelect

from . import selectors
from .models import NoteVisibility, Person, Priority, ReasonCode, Status
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
    # Drawn in Python (psn.widgets.PlainSelect, the same HTML): through templates, the partner and need lists
    # were a third of the list page's time.
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "—"), *Status.choices], widget=PlainSelect
    )
    partner = forms.TypedChoiceField(
        label=_("Partner"), required=False, coerce=int, empty_value=None, widget=PlainSelect
    )
    need = forms.TypedChoiceField(label=_("Need"), required=False, coerce=int, empty_value=None, widget=PlainSelect)
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", "—"), *Priority.choices], widget=PlainSelect
    )
    created_from = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(label=_("Created to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    overdue = forms.TypedChoiceField(
        label=_("Overdue"),
        required=False,
        choices=YES_NO,
        coerce=lambda value: value == "true",
        empty_value=None,
        widget=PlainSelect,
    )
    ordering = forms.ChoiceField(
        label=_("Order"),
        required=False,
        widget=PlainSelect,
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


class _ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.partner.name} · {obj.name}"


class ReferralFileForm(forms.Form):
    """Filing a referral. The choices are the actor's (``cases.selectors``); the person is picked on the page
    (search or ``?person=``) and carried in a hidden field. ``cases.lifecycle.referral_create`` checks every
    choice again (and consent), so this form only gives the early, field-by-field answers."""

    # The fields a query string may preselect (the "Choose" and "Enter a new person" links carry them).
    PREFILLED = ("sending_partner", "receiving_partner", "service", "needs", "priority", "due_date")

    person = forms.ModelChoiceField(
        label=_("Person"),
        queryset=Person.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"required": _("Choose a person first."), "invalid_choice": _("Choose a person first.")},
    )
    sending_partner = forms.ModelChoiceField(label=_("From (sending partner)"), queryset=Partner.objects.none())
    receiving_partner = forms.ModelChoiceField(label=_("To (receiving partner)"), queryset=Partner.objects.none())
    service = _ServiceChoiceField(
        label=_("Service"),
        queryset=Service.objects.none(),
        required=False,
        empty_label=_("— Any service of the partner —"),
        error_messages={"invalid_choice": _("Choose one of the receiving partner's services.")},
        help_text=_(
            "Optional: one of the receiving partner's services (choose the partner, then “Show its services”)."
        ),
    )
    needs = forms.ModelMultipleChoiceField(
        label=_("Needs"),
        queryset=TaxonomyTerm.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one need.")},
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.ROUTINE)
    due_date = forms.DateField(label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(
        label=_("Message to the receiving partner"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why you refer this person and what the partner should know. Only the two partners read it."),
    )

    def __init__(self, data=None, *, actor: access.Actor, initial: dict | None = None, picked=()):
        super().__init__(data, initial=initial)
        self.actor = actor
        self.fields["person"].queryset = access.people_fileable_by(actor, picked=picked)
        senders = access.partners_filing_for(actor)
        self.fields["sending_partner"].queryset = senders
        self.fields["receiving_partner"].queryset = selectors.referral_receivers_for(actor=actor)
        # A district has thousands of services: only the chosen receiving partner's are offered.
        self._limit_services(data.get("receiving_partner") if data is not None else None)
        self.fields["needs"].queryset = selectors.referral_needs_for(actor=actor)
        only = list(senders[:2])
        if len(only) == 1:  # preselected, with no empty choice, and not offered as the receiver
            self.fields["sending_partner"].empty_label = None
            self.initial.setdefault("sending_partner", only[0].pk)
            self.fields["receiving_partner"].queryset = self.fields["receiving_partner"].queryset.exclude(pk=only[0].pk)

    def _limit_services(self, receiving) -> None:
        services = selectors.referral_services_for(actor=self.actor)
        receiving_id = getattr(receiving, "pk", receiving)
        try:
            receiving_id = int(receiving_id)
        except (TypeError, ValueError):
            receiving_id = None
        self.fields["service"].queryset = (
            services.filter(partner_id=receiving_id) if receiving_id and 0 < receiving_id < 2**63 else services.none()
        )

    def prefill(self, query: QueryDict) -> None:
        """Preselect what a query string asks for: each value its field accepts, the rest ignored."""
        for name in self.PREFILLED:
            if name not in query:
                continue
            value = query.getlist(name) if name == "needs" else query.get(name)
            try:
                self.initial[name] = self.fields[name].clean(value)
            except ValidationError:
                continue
            if name == "receiving_partner":
                self._limit_services(self.initial[name])

    def clean_due_date(self):
        due = self.cleaned_data.get("due_date")
        if due is not None and due < timezone.localdate(timezone=self.actor.task_force.tzinfo):
            raise ValidationError(_("The due date is in the past."))
        return due

    def clean(self):
        data = super().clean()
        sending, receiving, service = data.get("sending_partner"), data.get("receiving_partner"), data.get("service")
        if sending and receiving and sending.pk == receiving.pk:
            self.add_error("receiving_partner", _("Choose another partner than the one that sends the referral."))
        if service and receiving and service.partner_id != receiving.pk:
            names = {"service": service.name, "partner": receiving.name}
            self.add_error("service", _("%(service)s is not a service of %(partner)s.") % names)
        return data


class PersonSearchForm(forms.Form):
    q = forms.CharField(label=_("Find a person"), max_length=100, help_text=_("Name or alias."))


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("PDF, PNG, JPEG, Word (DOCX) or plain text."))
    visibility = forms.ChoiceField(
        label=_("Who reads it"), choices=NoteVisibility.choices, initial=NoteVisibility.SHARED, widget=forms.RadioSelect
    )
