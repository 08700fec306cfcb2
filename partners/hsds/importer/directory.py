"""Lookups by HSDS id: what the task force's directory holds now (its partners, services, locations, contacts
and taxonomy terms, and the links between them, loaded once), and whether an id is in the file, in the directory,
or one of PSN Hub's own taxonomy ids; a partner or a service's organization found in either.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from partners.models import Contact, Language, Location, Partner, Service, TaxonomyTerm

from .. import mapping
from .state import _PlanState


class _Directory(_PlanState):
    """The task force's current directory, and ids looked up in it and in the file."""

    def _load_directory(self) -> None:
        tf = self.tf
        self.db_partners = {str(p.hsds_id): p for p in Partner.objects.filter(task_force=tf)}
        self.db_services = {str(s.hsds_id): s for s in Service.objects.filter(task_force=tf)}
        self.db_locations = {str(loc.hsds_id): loc for loc in Location.objects.filter(task_force=tf)}
        self.db_contacts = {str(c.hsds_id): c for c in Contact.objects.filter(task_force=tf)}
        self.db_terms = {str(t.hsds_id): t for t in TaxonomyTerm.objects.filter(task_force=tf)}
        self.languages = {language.code.lower(): language for language in Language.objects.all()}
        self.languages_by_name = {language.name.lower(): language for language in self.languages.values()}
        partner_hsds = {p.pk: key for key, p in self.db_partners.items()}
        service_hsds = {s.pk: key for key, s in self.db_services.items()}
        term_hsds = {t.pk: key for key, t in self.db_terms.items()}
        location_hsds = {loc.pk: key for key, loc in self.db_locations.items()}
        self.partner_hsds, self.service_hsds = partner_hsds, service_hsds
        self.db_service_partner = {key: partner_hsds.get(s.partner_id) for key, s in self.db_services.items()}

        self.db_partner_languages: dict[str, set[str]] = defaultdict(set)
        self.partner_language_links = list(
            Partner.languages.through.objects.filter(partner__task_force=tf).values_list(
                "pk", "partner_id", "language_id"
            )
        )
        language_code = {language.pk: code for code, language in self.languages.items()}
        for _pk, partner_id, language_id in self.partner_language_links:
            self.db_partner_languages[partner_hsds[partner_id]].add(language_code[language_id])

        self.category_links = list(
            Service.categories.through.objects.filter(service__task_force=tf).values_list(
                "pk", "service_id", "taxonomyterm_id"
            )
        )
        self.db_categories: dict[str, set[str]] = defaultdict(set)
        for _pk, service_id, term_id in self.category_links:
            if term_id in term_hsds:
                self.db_categories[service_hsds[service_id]].add(term_hsds[term_id])

        self.language_links = list(
            Service.languages.through.objects.filter(service__task_force=tf).values_list(
                "pk", "service_id", "language_id"
            )
        )
        self.db_service_languages: dict[str, set[str]] = defaultdict(set)
        for _pk, service_id, language_id in self.language_links:
            self.db_service_languages[service_hsds[service_id]].add(language_code[language_id])

        self.location_links = list(
            Location.services.through.objects.filter(location__task_force=tf).values_list(
                "pk", "location_id", "service_id"
            )
        )
        self.db_service_locations: dict[str, set[str]] = defaultdict(set)
        for _pk, location_id, service_id in self.location_links:
            if service_id in service_hsds:
                self.db_service_locations[service_hsds[service_id]].add(location_hsds[location_id])

    def _in_file(self, table: str, row_id: Any) -> bool:
        return isinstance(row_id, str) and row_id.lower() in self.by_id[table]

    def _known(self, table: str, row_id: Any) -> bool:
        if not isinstance(row_id, str):
            return False
        row_id = row_id.lower()
        if row_id in self.by_id[table]:
            return True
        return (
            row_id
            in {
                "organization": self.db_partners,
                "service": self.db_services,
                "location": self.db_locations,
                "contact": self.db_contacts,
                "taxonomy_term": self.db_terms,
            }.get(table, {})
            or (table == "taxonomy_term" and row_id in mapping.INTERNAL_TERM_IDS)
            or (table == "taxonomy" and row_id in {taxonomy["id"] for taxonomy in mapping.TAXONOMIES})
        )

    def _partner_for(self, org_id: str | None) -> Partner | None:
        if org_id is None:
            return None
        if org_id in self.partners:
            return self.partners[org_id].obj
        return self.db_partners.get(org_id)

    def _service_org(self, service_id: str | None) -> str | None:
        if service_id is None:
            return None
        if service_id in self.by_id["service"]:
            return self.by_id["service"][service_id].get("organization_id")
        return self.db_service_partner.get(service_id)
