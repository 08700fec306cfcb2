"""Writing the plan, inside the one transaction ``import_tables`` opens (with its audit event): the model rows
created and updated with bulk queries in batches, taxonomy terms re-parented, rows pointed at their new partner
or service, and the links (categories, languages, locations) made exactly what the file describes. Nothing is
ever deleted but the links a file replaces.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from partners.models import Contact, Location, Partner, Service, TaxonomyTerm

from .state import _Planned, _PlanState

BATCH = 1000


class _Writing(_PlanState):
    """The bulk write of what was planned."""

    # --- writing ------------------------------------------------------------------------------------------

    def write(self) -> None:
        now = timezone.now()
        half = self.reporter.total // 2
        steps = 8

        def step(number: int) -> None:
            self.reporter.at(half + (self.reporter.total - half) * number // steps)

        term_fields = ["code", "name", "description", "active"]
        self._save(self.terms, TaxonomyTerm, term_fields)
        terms = {**self.db_terms, **{key: planned.obj for key, planned in self.terms.items()}}
        reparented = []
        for key, parent in self.term_parents.items():
            term = terms[key]
            parent_pk = terms[parent].pk if parent else None
            if term.parent_id != parent_pk:
                term.parent_id = parent_pk
                reparented.append(term)
        TaxonomyTerm.objects.bulk_update(reparented, ["parent"], batch_size=BATCH)
        step(1)

        partner_fields = [
            "name",
            "description",
            "email",
            "website",
            "phone",
            "address_1",
            "city",
            "state_province",
            "postal_code",
            "kind",
            "active",
            "service_area",
            "updated_at",
        ]
        for planned in self.partners.values():
            planned.obj.updated_at = now
        self._save(self.partners, Partner, partner_fields)
        step(2)

        service_fields = [
            "partner",
            "name",
            "description",
            "eligibility",
            "url",
            "active",
            "hours",
            "contact_name",
            "contact_phone",
            "contact_email",
            "capacity",
            "accepting_referrals",
            "updated_at",
        ]
        partners = {**self.db_partners, **{key: planned.obj for key, planned in self.partners.items()}}
        for planned in self.services.values():
            planned.obj.updated_at = now
        self._link(self.services, partner=partners)
        self._save(self.services, Service, service_fields)
        step(3)

        services = {**self.db_services, **{key: planned.obj for key, planned in self.services.items()}}
        self._link(self.locations, partner=partners)
        self._save(
            self.locations,
            Location,
            ["partner", "name", "latitude", "longitude", "address_1", "city", "state_province", "postal_code"],
        )
        self._link(self.contacts, partner=partners, service=services)
        self._save(self.contacts, Contact, ["partner", "service", "name", "title", "email", "phone"])
        step(4)

        locations = {**self.db_locations, **{key: planned.obj for key, planned in self.locations.items()}}
        languages = self.languages

        self._set_links(
            Partner.languages.through,
            "partner_id",
            "language_id",
            self.partner_language_links,
            {partners[key].pk: {languages[code].pk for code in codes} for key, codes in self.partner_languages.items()},
            set(),
        )
        step(5)
        self._set_links(
            Service.categories.through,
            "service_id",
            "taxonomyterm_id",
            self.category_links,
            {services[key].pk: {terms[t].pk for t in ids} for key, ids in self.service_categories.items()},
            {(services[s].pk, terms[t].pk) for s, t in self.extra_categories},
        )
        step(6)
        self._set_links(
            Service.languages.through,
            "service_id",
            "language_id",
            self.language_links,
            {services[key].pk: {languages[code].pk for code in codes} for key, codes in self.service_languages.items()},
            {(services[s].pk, languages[code].pk) for s, code in self.extra_languages},
        )
        step(7)
        # Location.services is stored on the location's side: (location, service) pairs.
        wanted_by_service = {
            services[key].pk: {locations[loc].pk for loc in locs if loc in locations}
            for key, locs in self.service_locations.items()
        }
        links = [(pk, service_id, location_id) for pk, location_id, service_id in self.location_links]
        self._set_links(
            Location.services.through,
            "service_id",
            "location_id",
            links,
            wanted_by_service,
            {(services[s].pk, locations[loc].pk) for s, loc in self.extra_service_locations if loc in locations},
        )
        step(8)

    @staticmethod
    def _link(registry: dict[str, _Planned], **targets: dict[str, Any]) -> None:
        """Point the rows to write at their partner (and service) by pk, now that new ones have one."""
        for planned in registry.values():
            if planned.created or planned.changed:
                for name, key in planned.links.items():
                    target = targets[name].get(key) if key is not None else None
                    setattr(planned.obj, f"{name}_id", target.pk if target is not None else None)

    def _save(self, registry: dict[str, _Planned], model: type, fields: list[str]) -> None:
        model.objects.bulk_create([p.obj for p in registry.values() if p.created], batch_size=BATCH)
        model.objects.bulk_update(
            [p.obj for p in registry.values() if not p.created and p.changed], fields, batch_size=BATCH
        )

    @staticmethod
    def _set_links(through, owner: str, target: str, existing, wanted: dict[int, set[int]], extra: set) -> None:
        """Make the links of each owner in ``wanted`` exactly those; add ``extra`` (owner, target) pairs."""
        current = {(owner_id, target_id): pk for pk, owner_id, target_id in existing}
        remove = [
            pk
            for (owner_id, target_id), pk in current.items()
            if owner_id in wanted and target_id not in wanted[owner_id]
        ]
        pairs = {(owner_id, target_id) for owner_id, targets in wanted.items() for target_id in targets} | extra
        add = [through(**{owner: o, target: t}) for o, t in sorted(pairs) if (o, t) not in current]
        for start in range(0, len(remove), BATCH):
            through.objects.filter(pk__in=remove[start : start + BATCH]).delete()
        through.objects.bulk_create(add, batch_size=BATCH)
