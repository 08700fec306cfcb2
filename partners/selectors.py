"""Reads about task forces, memberships and the directory, scoped through psn.access."""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, TrigramWordSimilarity
from django.db import connection
from django.db.models import Case, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404

from psn import access

from .models import Language, Membership, Partner, Service, TaskForce, TaxonomyTerm


def task_force_list_for(*, user) -> QuerySet[TaskForce]:
    return access.task_forces_for(user).order_by("name")


def task_force_get_for(*, user, slug: str) -> TaskForce:
    return get_object_or_404(access.task_forces_for(user), slug=slug)


def membership_list_for(*, actor: access.Actor) -> QuerySet[Membership]:
    return (
        access.memberships_visible_to(actor).select_related("user", "partner").order_by("partner__name", "user__email")
    )


# --- Directory ----------------------------------------------------------------------------------------
#
# On PostgreSQL the text search uses these vectors. Migration 0004 indexes PARTNER_VECTOR's very expression
# (the planner uses an index only for the same expression: change one, migrate the other); services keep
# theirs stored in ``Service.search_vector`` (a trigger of migration 0006 computes SERVICE_VECTOR there, and
# it is indexed). tests/partners/test_search_indexes.py checks both. The name weighs more than the description.

SEARCH_CONFIG = "english"
PARTNER_VECTOR = SearchVector("name", weight="A", config=SEARCH_CONFIG) + SearchVector(
    "description", weight="B", config=SEARCH_CONFIG
)
SERVICE_VECTOR = SearchVector("name", weight="A", config=SEARCH_CONFIG) + SearchVector(
    "description", weight="B", config=SEARCH_CONFIG
)
# Partners (a few hundred) and terms (a few dozen) by name alone, for the service search: no index needed.
NAME_VECTOR = SearchVector("name", config=SEARCH_CONFIG)
# A name close to the search text in trigrams (pg_trgm's ``%>``, word similarity at least 0.6, answered
# by the trigram index) counts as a typo of it; its similarity lifts the rank a little.
TYPO_WEIGHT = 0.1


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _partners_matching(queryset: QuerySet[Partner], q: str) -> QuerySet[Partner]:
    """Text search over name and description, best first. One query: the full-text match or, for typos,
    a name close enough in trigrams."""
    if _postgres():
        query = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
        return (
            queryset.annotate(search=PARTNER_VECTOR, typo=TrigramWordSimilarity(q, "name"))
            .filter(Q(search=query) | Q(name__trigram_word_similar=q))
            .annotate(rank=SearchRank(PARTNER_VECTOR, query) + F("typo") * TYPO_WEIGHT)
            .order_by("-rank", "name", "pk")
        )
    return (
        queryset.filter(Q(name__icontains=q) | Q(description__icontains=q))
        .annotate(rank=Case(When(name__icontains=q, then=Value(2)), default=Value(1)))
        .order_by("-rank", "name", "pk")
    )


def _scoped(queryset: QuerySet, task_force_id: int | None) -> QuerySet:
    queryset = queryset.order_by()  # unordered: the rank orders the result
    return queryset if task_force_id is None else queryset.filter(task_force_id=task_force_id)


def service_ids_matching_words(q: str, task_force_id: int | None = None) -> QuerySet:
    """PostgreSQL: the ids of the services whose own text, partner's name or categories' names hold the words.
    A UNION of ids, one branch per index (an OR of the conditions makes the planner scan every service)."""
    query = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
    own_text = _scoped(Service.objects.filter(search_vector=query), task_force_id).values_list("pk", flat=True)
    partners = _scoped(Partner.objects.annotate(search=NAME_VECTOR).filter(search=query), task_force_id).values("pk")
    partner_name = _scoped(Service.objects.filter(partner__in=partners), task_force_id).values_list("pk", flat=True)
    terms = _scoped(TaxonomyTerm.objects.annotate(search=NAME_VECTOR).filter(search=query), task_force_id)
    category_name = (
        Service.categories.through.objects.filter(taxonomyterm__in=terms.values("pk"))
        .order_by()
        .values_list("service_id", flat=True)
    )
    return own_text.union(partner_name, category_name)


def service_ids_near(q: str, task_force_id: int | None = None) -> QuerySet:
    """PostgreSQL: the ids of the services whose name holds a word near ``q`` (a typo), from the trigram index."""
    return _scoped(Service.objects.filter(name__trigram_word_similar=q), task_force_id).values_list("pk", flat=True)


def _services_matching(queryset: QuerySet[Service], q: str, task_force_id: int | None = None) -> QuerySet[Service]:
    """Text search over the service's name and description, its partner's name and its categories' names.

    On PostgreSQL the matching ids are read here, once (one query): the paginator's count and the page then
    look rows up by id instead of running the UNION twice (bench/results.md). Only when the words match nothing
    does the same query look for near names (a typo): that branch costs as much as the three others together."""
    if _postgres():
        ids = list(service_ids_matching_words(q, task_force_id)) or list(service_ids_near(q, task_force_id))
        query = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
        return (
            queryset.filter(pk__in=ids)
            .annotate(rank=SearchRank(F("search_vector"), query) + TrigramWordSimilarity(q, "name") * TYPO_WEIGHT)
            .order_by("-rank", "name", "pk")
        )
    category_match = TaxonomyTerm.objects.filter(services=OuterRef("pk"), name__icontains=q)
    return (
        queryset.filter(
            Q(name__icontains=q) | Q(description__icontains=q) | Q(partner__name__icontains=q) | Exists(category_match)
        )
        .annotate(rank=Case(When(name__icontains=q, then=Value(2)), default=Value(1)))
        .order_by("-rank", "name", "pk")
    )


def _tagged_services(category: str, task_force_id: int | None):
    """The (service, term) rows of a category code, from the term's side (its index answers; a join from the
    services' side made PostgreSQL hash every service's categories: bench/results.md)."""
    terms = TaxonomyTerm.objects.filter(code=category)
    if task_force_id is not None:
        terms = terms.filter(task_force_id=task_force_id)
    return Service.categories.through.objects.filter(taxonomyterm__in=terms.values("pk")).order_by()


def partner_filter(
    queryset: QuerySet[Partner],
    *,
    q: str = "",
    kind: str = "",
    category: str = "",
    language: str = "",
    active: bool | None = None,
    task_force_id: int | None = None,
) -> QuerySet[Partner]:
    """Narrow a scoped partner queryset by the directory's filters (all optional, combinable). ``task_force_id``
    (the scope's task force) lets the category filter read only that task force's services."""
    if kind:
        queryset = queryset.filter(kind=kind)
    if category:
        queryset = queryset.filter(pk__in=_tagged_services(category, task_force_id).values("service__partner_id"))
    if language:
        queryset = queryset.filter(languages__code=language)
    if active is not None:
        queryset = queryset.filter(active=active)
    q = q.strip()
    return _partners_matching(queryset, q) if q else queryset.order_by("name", "pk")


def service_filter(
    queryset: QuerySet[Service],
    *,
    q: str = "",
    category: str = "",
    language: str = "",
    accepting: bool | None = None,
    active: bool | None = None,
    partner: int | None = None,
    task_force_id: int | None = None,
) -> QuerySet[Service]:
    """Narrow a scoped service queryset by the directory's filters (all optional, combinable). The category and
    language filters are semi-joins from the term's (the language's) side, which their indexes answer."""
    if category:
        queryset = queryset.filter(pk__in=_tagged_services(category, task_force_id).values("service_id"))
    if language:
        spoken = Service.languages.through.objects.filter(language__code=language)
        queryset = queryset.filter(pk__in=spoken.values("service_id"))
    if accepting is not None:
        queryset = queryset.filter(accepting_referrals=accepting)
    if active is not None:
        queryset = queryset.filter(active=active)
    if partner is not None:
        queryset = queryset.filter(partner_id=partner)
    q = q.strip()
    return _services_matching(queryset, q, task_force_id) if q else queryset.order_by("name", "pk")


def _partner_rows(queryset: QuerySet[Partner]) -> QuerySet[Partner]:
    return queryset.prefetch_related(Prefetch("languages", queryset=Language.objects.order_by("name")))


def _service_rows(queryset: QuerySet[Service]) -> QuerySet[Service]:
    return queryset.select_related("partner").prefetch_related(
        Prefetch("categories", queryset=TaxonomyTerm.objects.order_by("name")),
        Prefetch("languages", queryset=Language.objects.order_by("name")),
    )


def partner_list_for(*, actor: access.Actor, **filters) -> QuerySet[Partner]:
    """The directory's partners the actor may see, filtered (see ``partner_filter``). Rows carry their
    languages (one query for the page)."""
    return _partner_rows(partner_filter(access.partners_visible_to(actor), **filters))


def partner_get_for(*, actor: access.Actor, pk) -> Partner:
    """One partner of the directory, with its languages, locations and contacts; 404 beyond what the
    actor may see (another task force, or an inactive partner for anyone but a coordinator)."""
    queryset = _partner_rows(access.partners_visible_to(actor)).prefetch_related("locations", "contacts")
    return get_object_or_404(queryset, pk=_id(pk))


def service_list_for(*, actor: access.Actor, **filters) -> QuerySet[Service]:
    """The directory's services the actor may see, filtered (see ``service_filter``). Rows carry their
    partner, categories and languages."""
    return _service_rows(service_filter(access.services_visible_to(actor), **filters))


def service_page_rows_for(*, actor: access.Actor) -> QuerySet[Service]:
    """``service_list_for`` for the list page: only the columns it shows (descriptions and eligibility texts are
    long), the categories and languages as plain lists (``category_list``, ``language_list``: no related manager
    built per row, which on 25 rows cost a tenth of the page's time)."""
    return (
        access.services_visible_to(actor)
        .select_related("partner")
        .only("pk", "name", "active", "accepting_referrals", "partner_id", "partner__name")
        .prefetch_related(
            Prefetch("categories", TaxonomyTerm.objects.only("name").order_by("name"), to_attr="category_list"),
            Prefetch("languages", Language.objects.only("name").order_by("name"), to_attr="language_list"),
        )
    )


def service_get_for(*, actor: access.Actor, pk) -> Service:
    """One service of the directory, with its partner, categories, languages, locations and contacts."""
    queryset = _service_rows(access.services_visible_to(actor)).prefetch_related("locations", "contacts")
    return get_object_or_404(queryset, pk=_id(pk))


def taxonomy_term_list_for(*, actor: access.Actor) -> QuerySet[TaxonomyTerm]:
    if not access.can_act(actor):
        return TaxonomyTerm.objects.none()
    return TaxonomyTerm.objects.filter(task_force=actor.task_force).select_related("parent").order_by("name")


def language_list() -> QuerySet[Language]:
    """Reference data, the same for every task force."""
    return Language.objects.order_by("name")


def _id(pk) -> int:
    """A database id from a URL; anything else names no object (a 404, never an overflow in the query)."""
    try:
        value = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 1 <= value <= 2**63 - 1:
        raise Http404
    return value


# --- Members and invitations ------------------------------------------------------------------------------


def member_partner_get_for(*, actor: access.Actor, pk) -> Partner:
    """The partner whose members are managed: 404 beyond the actor's directory; the right is the service's
    (or the view's) to check, so inside the task force a missing right is a 403."""
    return get_object_or_404(access.partners_visible_to(actor), pk=_id(pk))


def partner_member_list_for(*, actor: access.Actor, partner: Partner) -> QuerySet[Membership]:
    """A partner's members for its member page: active first, then by name and address, with their accounts."""
    return (
        access.memberships_visible_to(actor)
        .filter(partner=partner)
        .select_related("user")
        .order_by("-active", "user__full_name", "user__email", "pk")
    )


def membership_get_for(*, actor: access.Actor, pk) -> Membership:
    """One membership the actor can see (404 otherwise), ready for the member services."""
    queryset = access.memberships_visible_to(actor).select_related("user", "partner", "task_force")
    return get_object_or_404(queryset, pk=_id(pk))


def invitation_list_for(*, actor: access.Actor, partner: Partner | None = None, status: str = "") -> QuerySet:
    """Invitations the actor may manage, newest first; ``status`` is open, expired, accepted or revoked."""
    queryset = access.invitations_visible_to(actor).select_related("partner", "invited_by")
    if partner is not None:
        queryset = queryset.filter(partner=partner)
    if status:
        queryset = queryset.filter(invitation_status_q(status))
    return queryset.order_by("-created_at", "-pk")


def invitation_status_q(status: str) -> Q:
    from django.utils import timezone

    now = timezone.now()
    unused = Q(accepted_at=None, revoked_at=None)
    return {
        "open": unused & Q(expires_at__gt=now),
        "expired": unused & Q(expires_at__lte=now),
        "accepted": ~Q(accepted_at=None),
        "revoked": ~Q(revoked_at=None),
    }[status]


def invitation_get_for(*, actor: access.Actor, pk):
    """One invitation of the actor's task force (404 beyond it); whether they may manage it is a right (403)."""
    from .models import Invitation

    if not access.can_act(actor):
        raise Http404
    queryset = Invitation.objects.filter(task_force=actor.task_force).select_related("partner", "invited_by")
    return get_object_or_404(queryset, pk=_id(pk))


# --- Directory management -----------------------------------------------------------------------------


def partner_services_for(*, actor: access.Actor, partner: Partner) -> QuerySet[Service]:
    """A partner's services for its page: what the directory shows, plus its inactive services for the
    partner's admins (to edit or reactivate them). Rows carry categories and languages."""
    scope = access.services_manageable_or_visible_to(actor)
    return _service_rows(service_filter(scope, partner=partner.pk))


def service_get_for_management(*, actor: access.Actor, pk) -> Service:
    """A service to edit, deactivate or reactivate: one the actor can see, or an inactive one of a partner
    they administer; 404 beyond that (whether they may change it is the service function's question)."""
    queryset = access.services_manageable_or_visible_to(actor).select_related("partner", "task_force")
    return get_object_or_404(queryset.prefetch_related("categories", "languages"), pk=_id(pk))


def partner_get_for_management(*, actor: access.Actor, pk) -> Partner:
    """A partner to edit, deactivate or reactivate: one the actor can see (404 beyond that)."""
    queryset = access.partners_visible_to(actor).select_related("task_force").prefetch_related("languages")
    return get_object_or_404(queryset, pk=_id(pk))


def taxonomy_term_choices_for(*, task_force: TaskForce, keep=()) -> QuerySet[TaxonomyTerm]:
    """The categories a service of the task force may be given: its active terms, plus any it already has."""
    keep_ids = [term.pk for term in keep]
    return TaxonomyTerm.objects.filter(Q(active=True) | Q(pk__in=keep_ids), task_force=task_force).order_by("name")
