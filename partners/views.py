"""The directory pages: partners and services, searched and filtered in the URL, for every member of the
task force."""

from django.core.paginator import Paginator
from django.shortcuts import render

from psn.decorators import task_force_required

from . import selectors
from .filters import PartnerFilter, ServiceFilter

DIRECTORY_PAGE_SIZE = 25


def _filtered_page(request, filter_class, queryset, template: str, extra: dict | None = None):
    """The audit page's pattern: an invalid filter is a 400 with the message next to its field, no rows."""
    directory_filter = filter_class(request.GET, queryset=queryset, request=request)
    invalid = directory_filter.is_bound and not directory_filter.is_valid()
    rows = queryset.none() if invalid else directory_filter.qs
    page = Paginator(rows, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filter": directory_filter, "page": page, "query": query.urlencode(), **(extra or {})}
    return render(request, template, context, status=400 if invalid else 200)


@task_force_required
def partner_list(request):
    queryset = selectors.partner_list_for(actor=request.actor)
    return _filtered_page(request, PartnerFilter, queryset, "partners/partner_list.html")


@task_force_required
def partner_detail(request, pk: int):
    partner = selectors.partner_get_for(actor=request.actor, pk=pk)
    services = selectors.service_list_for(actor=request.actor, partner=partner.pk)
    return render(request, "partners/partner_detail.html", {"partner": partner, "services": services})


@task_force_required
def service_list(request):
    queryset = selectors.service_list_for(actor=request.actor)
    return _filtered_page(request, ServiceFilter, queryset, "partners/service_list.html")


@task_force_required
def service_detail(request, pk: int):
    service = selectors.service_get_for(actor=request.actor, pk=pk)
    return render(request, "partners/service_detail.html", {"service": service})
