"""Planning: the model rows (taxonomy terms, partners, locations, services, contacts) the valid rows of the file
create or update, with what changed and the HSDS row and column each value came from (for the model rules'
messages), the links a file describes (a service's categories, languages and locations, a partner's languages),
PSN Hub's own fields given as attributes, and the created/updated/unchanged counts. ``mapping.py`` says where
each field goes.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from django.utils.translation import gettext as _

from partners.models import Contact, Language, Location, Partner, Service, TaxonomyTerm

from .. import mapping
from .state import _Planned, _PlanState, _Row, _show

COUNTED_TABLES = ("organization", "service", "location", "contact", "taxonomy_term")


class _Planning(_PlanState):
    """What the import would create, update or leave unchanged."""

    def _ok(self, table: str) -> list[_Row]:
        return [row for row in self.rows.get(table, []) if row.ok]

    def _planned(self, registry: dict, db: dict, row: _Row, model: type, **new_fields) -> _Planned:
        existing = db.get(row.id)
        if existing is not None:
            planned = _Planned(obj=existing, row=row, created=False)
        else:
            planned = _Planned(
                obj=model(task_force=self.tf, hsds_id=uuid.UUID(row.id), **new_fields), row=row, created=True
            )
        registry[row.id] = planned
        return planned

    def _assign(self, planned: _Planned, values: dict[str, Any], row: _Row, hsds_columns: dict[str, str]) -> None:
        for name, value in values.items():
            if getattr(planned.obj, name) != value:
                planned.changed = True
                setattr(planned.obj, name, value)
            planned.sources[name] = (row, hsds_columns.get(name, name))

    # --- attributes (PSN fields, kinds, categories) ---------------------------------------------------------

    def _attributes(self) -> tuple[dict, dict, dict]:
        kinds: dict[str, str] = {}
        fields: dict[tuple[str, str], dict[str, tuple[Any, _Row]]] = defaultdict(dict)
        categories: dict[str, set[str]] = defaultdict(set)
        for row in self._ok("attribute"):
            term_id, entity, link_id = row.get("taxonomy_term_id"), row.get("link_entity"), row.get("link_id")
            if term_id is None or link_id is None:
                continue
            if term_id in mapping.KIND_BY_TERM_ID:
                if entity != "organization":
                    self.error(row, "link_entity", _("A partner kind can only be given to an organization."))
                    continue
                kinds[link_id] = mapping.KIND_BY_TERM_ID[term_id]
            elif term_id in mapping.FIELD_BY_TERM_ID:
                code = mapping.FIELD_BY_TERM_ID[term_id]
                expected = mapping.FIELDS[code][0]
                if entity != expected:
                    self.error(
                        row,
                        "link_entity",
                        _("The PSN field “%(code)s” belongs to a %(expected)s, not a %(entity)s.")
                        % {"code": code, "expected": expected, "entity": _show(entity)},
                    )
                    continue
                try:
                    value = mapping.parse_field(code, row.get("value"))
                except ValueError as exc:
                    self.error(row, "value", f"{code}: {exc}")  # exc: mapping's translated message
                    continue
                if code == "partner-languages":
                    unknown = [item for item in value if item not in self.languages]
                    if unknown:
                        self.error(row, "value", _unknown_languages(unknown, self.languages))
                        continue
                fields[(entity, link_id)][code] = (value, row)
            elif entity == "service":
                categories[link_id].add(term_id)
            else:
                self.warn_once(
                    ("attribute", entity),
                    row.record.file,
                    "link_entity",
                    _("Taxonomy terms of a %(entity)s are not kept by PSN Hub (only a service's categories): ignored.")
                    % {"entity": entity},
                    row=row.record.row,
                )
        return kinds, fields, categories

    # --- planning -----------------------------------------------------------------------------------------

    def _plan_terms(self) -> None:
        self.kinds, self.fields, categories = self._attributes()
        file_ids = set(self.by_id["taxonomy_term"])
        by_code = {term.code: term for key, term in self.db_terms.items() if key not in file_ids}
        for row in self._ok("taxonomy_term"):
            if row.id in mapping.INTERNAL_TERM_IDS or row.get("taxonomy_id") in mapping.INTERNAL_TAXONOMY_IDS:
                continue
            if row.get("code") is None:
                self.error(
                    row, "code", _("PSN Hub needs a code for every taxonomy term (letters, digits, “.”, “_”, “-”).")
                )
                continue
            if row.id not in self.db_terms and row.get("code") in by_code:
                # The same category under another id (the default taxonomy every task force is given): its code
                # is the natural key, so the file's term updates ours and the file's id stands for it.
                planned = _Planned(obj=by_code.pop(row.get("code")), row=row, created=False)
                self.terms[row.id] = planned
            else:
                planned = self._planned(self.terms, self.db_terms, row, TaxonomyTerm)
            values = mapping.taxonomy_term_values(row.data)
            active = self.fields.get(("taxonomy_term", row.id), {}).get("taxonomy-term-active")
            if active is not None:
                values["active"] = active[0]
            self._assign(planned, values, row, mapping.HSDS_FIELD[TaxonomyTerm])
            parent = row.get("parent_id")
            if parent == row.id:
                self.error(row, "parent_id", _("A taxonomy term cannot be its own parent."))
            self.term_parents[row.id] = parent
        for key, parent in self.term_parents.items():
            planned = self.terms[key]
            if planned.created:
                continue
            parent_obj = None
            if parent is not None:
                parent_obj = self.terms[parent].obj if parent in self.terms else self.db_terms.get(parent)
            wanted = parent_obj.pk if parent_obj is not None else None
            if planned.obj.parent_id != wanted or (parent_obj is not None and parent_obj.pk is None):
                planned.changed = True
        for row in self._ok("attribute"):
            term_id = row.get("taxonomy_term_id")
            if (
                row.get("link_entity") == "service"
                and term_id not in mapping.INTERNAL_TERM_IDS
                and term_id not in self.terms
                and term_id not in self.db_terms
            ):
                self.error(
                    row,
                    "taxonomy_term_id",
                    _("The taxonomy term “%(id)s” was not imported, so it cannot be a category.")
                    % {"id": _show(term_id)},
                )
                categories.get(row.get("link_id"), set()).discard(term_id)
        for service_id, term_ids in categories.items():
            if self._in_file("service", service_id):
                self.service_categories[service_id] = term_ids
            else:
                self.extra_categories |= {(service_id, term_id) for term_id in term_ids}

    def _plan_partners(self) -> None:
        org_rows = self._ok("organization")
        phones: dict[str, _Row] = {}
        for row in self._ok("phone"):
            org = row.get("organization_id")
            if org and not any(
                row.get(c) for c in ("contact_id", "service_id", "location_id", "service_at_location_id")
            ):
                phones.setdefault(org, row)
        # A postal location of an organization that no service is delivered at is the partner's own address.
        at_locations = {row.get("location_id") for row in self._ok("service_at_location")}
        self.postal_locations: dict[str, str] = {}
        for row in self._ok("location"):
            org = row.get("organization_id")
            if (
                row.get("location_type") == "postal"
                and org
                and row.id not in at_locations
                and org not in self.postal_locations.values()
                and self._in_file("organization", org)
            ):
                self.postal_locations[row.id] = org
        self.addresses: dict[str, _Row] = {}
        for row in self._ok("address"):
            location = row.get("location_id")
            if location is None:
                self.warn_once(
                    ("address-unlinked",),
                    row.record.file,
                    "location_id",
                    _("Addresses without a location_id are not kept: ignored."),
                    row=row.record.row,
                )
            else:
                self.addresses.setdefault(location, row)
        partner_address = {org: self.addresses.get(location) for location, org in self.postal_locations.items()}

        for row in org_rows:
            planned = self._planned(self.partners, self.db_partners, row, Partner, kind="other")
            self._assign(planned, mapping.partner_values(row.data), row, mapping.HSDS_FIELD[Partner])
            phone_row = phones.get(row.id)
            self._assign(
                planned,
                {"phone": mapping.phone_number(phone_row.data) if phone_row else ""},
                phone_row or row,
                {"phone": "number"},
            )
            address_row = partner_address.get(row.id)
            self._assign(
                planned, mapping.address_values(address_row.data if address_row else None), address_row or row, {}
            )
            if row.id in self.kinds:
                self._assign(planned, {"kind": self.kinds[row.id]}, row, {"kind": "attribute"})
            extras = self.fields.get(("organization", row.id), {})
            if "partner-active" in extras:
                value, attribute_row = extras["partner-active"]
                self._assign(planned, {"active": value}, attribute_row, {"active": "value"})
            if "partner-service-area" in extras:
                value, attribute_row = extras["partner-service-area"]
                self._assign(planned, {"service_area": value}, attribute_row, {"service_area": "value"})
            if "partner-languages" in extras:
                codes = extras["partner-languages"][0]
                self.partner_languages[row.id] = codes
                if set(codes) != self.db_partner_languages.get(row.id, set()):
                    planned.changed = True

    def _plan_locations(self) -> None:
        first_service: dict[str, str] = {}
        for row in self._ok("service_at_location"):
            service, location = row.get("service_id"), row.get("location_id")
            if service is None or location is None:
                continue
            first_service.setdefault(location, service)
            if self._in_file("service", service):
                self.service_locations.setdefault(service, set()).add(location)
            else:
                self.extra_service_locations.add((service, location))
        for row in self._ok("location"):
            if row.id in self.postal_locations:
                continue
            org = row.get("organization_id") or self._service_org(first_service.get(row.id))
            partner = self._partner_for(org)
            if partner is None and self._in_file("organization", org):
                row.ok = False  # its organization's row is wrong, and reported: nothing more to say here
                continue
            if partner is None:
                self.error(
                    row, "organization_id", _("PSN Hub needs the organization a location belongs to (organization_id).")
                )
                continue
            planned = self._planned(self.locations, self.db_locations, row, Location, partner=partner)
            planned.links["partner"] = org
            if not planned.created and self.partner_hsds.get(planned.obj.partner_id) != org:
                planned.changed = True
                planned.obj.partner = partner
            address_row = self.addresses.get(row.id)
            self._assign(planned, mapping.location_values(row.data), row, mapping.HSDS_FIELD[Location])
            self._assign(
                planned, mapping.address_values(address_row.data if address_row else None), address_row or row, {}
            )

    def _plan_services(self) -> None:
        inline_contacts: dict[str, _Row] = {}
        for row in self._ok("contact"):
            service = row.get("service_id")
            if service and row.id == mapping.derived_id(service, "contact"):
                inline_contacts[service] = row
        self.inline_contact_ids = {row.id for row in inline_contacts.values()}
        contact_phones: dict[str, _Row] = {}
        service_phones: dict[str, _Row] = {}
        for row in self._ok("phone"):
            if row.get("contact_id"):
                contact_phones.setdefault(row.get("contact_id"), row)
            elif row.get("service_id"):
                service_phones.setdefault(row.get("service_id"), row)
            elif row.get("location_id") or row.get("service_at_location_id"):
                self.warn_once(
                    ("phone-location",),
                    row.record.file,
                    None,
                    _("Phones of locations are not kept by PSN Hub: ignored."),
                    row=row.record.row,
                )
        self.contact_phones = contact_phones
        hours: dict[str, list[str]] = defaultdict(list)
        for row in self._ok("schedule"):
            if row.get("service_id"):
                text = mapping.schedule_text(row.data)
                if text:
                    hours[row.get("service_id")].append(text)
            else:
                self.warn_once(
                    ("schedule-other",),
                    row.record.file,
                    None,
                    _("Schedules of locations are not kept by PSN Hub (only a service's hours): ignored."),
                    row=row.record.row,
                )
        for row in self._ok("language"):
            service = row.get("service_id")
            if service is None:
                self.warn_once(
                    ("language-other",),
                    row.record.file,
                    None,
                    _("Languages of locations and phones are not kept by PSN Hub (only a service's): ignored."),
                    row=row.record.row,
                )
                continue
            code = str(row.get("code") or "").lower()
            language = (
                self.languages.get(code) if code else self.languages_by_name.get(str(row.get("name") or "").lower())
            )
            if language is None:
                self.error(row, "code", _unknown_languages([code or str(row.get("name") or "")], self.languages))
                continue
            if self._in_file("service", service):
                self.service_languages.setdefault(service, set()).add(language.code.lower())
            else:
                self.extra_languages.add((service, language.code.lower()))

        for row in self._ok("service"):
            org = row.get("organization_id")
            partner = self._partner_for(org)
            if partner is None and self._in_file("organization", org):
                row.ok = False  # its organization's row is wrong, and reported: nothing more to say here
                continue
            if partner is None:
                self.error(
                    row,
                    "organization_id",
                    _("PSN Hub needs the organization that provides a service (organization_id)."),
                )
                continue
            planned = self._planned(self.services, self.db_services, row, Service, partner=partner)
            planned.links["partner"] = org
            if not planned.created and self.db_service_partner.get(row.id) != org:
                planned.changed = True
                planned.obj.partner = partner
            values = mapping.service_values(row.data)
            values["hours"] = "\n".join(hours.get(row.id, []))
            contact = inline_contacts.get(row.id)
            phone_row = contact_phones.get(contact.id) if contact else None
            phone_row = phone_row or service_phones.get(row.id)
            values["contact_name"] = mapping.contact_values(contact.data)["name"] if contact else ""
            values["contact_email"] = (mapping.contact_values(contact.data)["email"] if contact else "") or (
                str(row.get("email") or "")
            )
            values["contact_phone"] = mapping.phone_number(phone_row.data) if phone_row else ""
            self._assign(planned, values, row, mapping.HSDS_FIELD[Service])
            if contact is not None:
                planned.sources["contact_name"] = (contact, "name")
                if contact.get("email"):
                    planned.sources["contact_email"] = (contact, "email")
            if phone_row is not None:
                planned.sources["contact_phone"] = (phone_row, "number")
            extras = self.fields.get(("service", row.id), {})
            if "service-capacity" in extras:
                value, attribute_row = extras["service-capacity"]
                self._assign(planned, {"capacity": value}, attribute_row, {"capacity": "value"})
            if "service-accepting-referrals" in extras:
                value, attribute_row = extras["service-accepting-referrals"]
                self._assign(planned, {"accepting_referrals": value}, attribute_row, {"accepting_referrals": "value"})
            for wanted, current in (
                (self.service_categories.setdefault(row.id, set()), self.db_categories.get(row.id, set())),
                (self.service_languages.setdefault(row.id, set()), self.db_service_languages.get(row.id, set())),
                (self.service_locations.setdefault(row.id, set()), self.db_service_locations.get(row.id, set())),
            ):
                if wanted != current:
                    planned.changed = True

    def _plan_contacts(self) -> None:
        for row in self._ok("contact"):
            if row.id in self.inline_contact_ids:
                continue
            service_id = row.get("service_id")
            org = row.get("organization_id") or self._service_org(service_id)
            partner = self._partner_for(org)
            if partner is None and self._in_file("organization", org):
                row.ok = False  # its organization's row is wrong, and reported: nothing more to say here
                continue
            if partner is None:
                self.error(
                    row,
                    "organization_id",
                    _("PSN Hub needs the organization a contact belongs to (organization_id or service_id)."),
                )
                continue
            service = None
            if service_id is not None:
                service = (
                    self.services[service_id].obj if service_id in self.services else self.db_services.get(service_id)
                )
            planned = self._planned(self.contacts, self.db_contacts, row, Contact, partner=partner, service=service)
            planned.links.update(partner=org, service=service_id)
            if not planned.created:
                if self.partner_hsds.get(planned.obj.partner_id) != org:
                    planned.changed = True
                    planned.obj.partner = partner
                if self.service_hsds.get(planned.obj.service_id) != service_id:
                    planned.changed = True
                    planned.obj.service = service
            phone_row = self.contact_phones.get(row.id)
            self._assign(planned, mapping.contact_values(row.data), row, mapping.HSDS_FIELD[Contact])
            self._assign(
                planned,
                {"phone": mapping.phone_number(phone_row.data) if phone_row else ""},
                phone_row or row,
                {"phone": "number"},
            )

    # --- counts -------------------------------------------------------------------------------------------

    def counts(self) -> dict[str, dict[str, int]]:
        counts = {}
        for table, registry in zip(
            COUNTED_TABLES, (self.partners, self.services, self.locations, self.contacts, self.terms), strict=True
        ):
            created = sum(1 for planned in registry.values() if planned.created)
            updated = sum(1 for planned in registry.values() if not planned.created and planned.changed)
            counts[table] = {"created": created, "updated": updated, "unchanged": len(registry) - created - updated}
        return counts


def _unknown_languages(codes: list[str], known: dict[str, Language]) -> str:
    listed = ", ".join(f"“{_show(code)}”" for code in codes)
    return _("Unknown language %(codes)s: PSN Hub knows the ISO 639-1 codes %(known)s.") % {
        "codes": listed,
        "known": ", ".join(sorted(known)),
    }
