"""The directory's filters, shared by the pages and the API: they check the input; the selectors
(``partner_filter``, ``service_filter``) apply it."""

import functools

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from psn.widgets import PlainSelect

from .models import Language, Partner, PartnerKind, Service, TaxonomyTerm
from .selectors import partner_filter, service_filter

YES_NO = [("true", _("Yes")), ("false", _("No"))]


def _yes_no(label, field_name: str):
    # "true" or "false"; anything else is a 400 rather than silently no filter at all.
    return django_filters.TypedChoiceFilter(
        field_name=field_name,
        choices=YES_NO,
        coerce=lambda value: value == "true",
        label=label,
        empty_value=None,
        widget=PlainSelect,
    )


@extend_schema_field(OpenApiTypes.STR)
class CodeFilter(django_filters.ChoiceFilter):
    """A code from a list read per request (the task force's categories, the languages)."""


def _language_choices():
    return [(language.code, language.name) for language in Language.objects.order_by("name")]


class _DirectoryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), max_length=200)
    category = CodeFilter(label=_("Category"), choices=[], widget=PlainSelect)
    language = CodeFilter(label=_("Language"), choices=_language_choices, widget=PlainSelect)
    active = _yes_no(_("Active"), "active")

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        # The categories of the actor's task force only: another task force's codes are not valid choices.
        actor = getattr(request, "actor", None) if request is not None else None
        task_force = getattr(actor, "task_force", None)
        self._task_force_id = task_force.pk if task_force is not None else None
        terms = TaxonomyTerm.objects.filter(task_force=task_force) if task_force is not None else None
        # Read once per request: validating a value and drawing the form both go through the choices.
        self.filters["category"].extra["choices"] = functools.cache(
            lambda: [(term.code, term.name) for term in terms.order_by("name")] if terms is not None else []
        )
        self.filters["language"].extra["choices"] = functools.cache(_language_choices)
        for name in ("category", "language"):
            # A form field built earlier on the class's filter (the API schema does) would keep old choices.
            self.filters[name].__dict__.pop("_field", None)

    def _values(self) -> dict:
        return {name: value for name, value in self.form.cleaned_data.items() if value not in ("", None)}


class PartnerFilter(_DirectoryFilter):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=PartnerKind.choices, widget=PlainSelect)
    category = CodeFilter(label=_("Offers a service in"), choices=[], widget=PlainSelect)

    class Meta:
        model = Partner
        fields = ["q", "kind", "category", "language", "active"]

    def filter_queryset(self, queryset):
        return partner_filter(queryset, task_force_id=self._task_force_id, **self._values())


class ServiceFilter(_DirectoryFilter):
    accepting = _yes_no(_("Accepting referrals now"), "accepting_referrals")

    class Meta:
        model = Service
        fields = ["q", "category", "language", "accepting", "active"]

    def filter_queryset(self, queryset):
        return service_filter(queryset, task_force_id=self._task_force_id, **self._values())
