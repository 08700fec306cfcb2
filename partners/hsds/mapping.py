"""How the directory maps to Open Referral HSDS 3.0 and back: pure functions, no database access.

HSDS ids: each model's ``hsds_id`` is the HSDS ``id`` (unique per task force only). Rows that have no model of
their own (a partner's phone, a service's languages, ...) get ids derived from their owner's id
(``derived_id(owner, role)``, a UUID 5), so an export of the same directory always carries the same ids and a
re-import finds them again.

=================================  ===============================================================================
PSN Hub                            HSDS 3
=================================  ===============================================================================
Partner.hsds_id                    organization.id
Partner.name                       organization.name
Partner.description                organization.description (required by HSDS; "" when empty)
Partner.email                      organization.email
Partner.website                    organization.website
Partner.phone                      phone (id = derived(partner, "phone"), organization_id, number)
Partner.address_1, city,           location (id = derived(partner, "postal-location"), location_type "postal",
  state_province, postal_code        organization_id, name = partner name) with one address
                                     (id = derived(partner, "postal-address"), address_type "postal", country "US")
Partner.kind                       attribute (link_entity "organization") to a term of the taxonomy
                                     "PSN partner kinds" (term code = the kind: law_enforcement, ...)
Partner.active                     attribute of field term "partner-active", value "true" / "false"
Partner.service_area               attribute of field term "partner-service-area", value = the text
Partner.languages                  attribute of field term "partner-languages", value = ISO 639-1 codes,
                                     space-separated (HSDS 3 has languages for services and locations only)
Partner.logo                       not exported (private media has no public URL); kept on import
Service.hsds_id                    service.id
Service.partner                    service.organization_id
Service.name, description, url     service.name, description, url
Service.active                     service.status "active" / "inactive" (import: "defunct" and
                                     "temporarily closed" are inactive too)
Service.eligibility                service.eligibility_description
Service.capacity                   attribute of field term "service-capacity", value = the number or ""
Service.accepting_referrals        attribute of field term "service-accepting-referrals", "true" / "false"
Service.categories                 attribute (link_entity "service") to each taxonomy_term
Service.languages                  language rows (id = derived(service, "language:<code>"), name, code)
Service.hours                      schedule (id = derived(service, "hours")).description
Service.contact_name, _email       contact (id = derived(service, "contact"), service_id, name, email)
Service.contact_phone              phone of that contact (id = derived(service, "contact-phone"))
                                     (import from other sources: service.email and a service phone fill the
                                     contact's email and phone when the contact has none)
Location.hsds_id                   location.id (location_type "physical")
Location.partner                   location.organization_id
Location.name, latitude, longitude location.name, latitude, longitude
Location.address_1, city,          address (id = derived(location, "address"), address_type "physical",
  state_province, postal_code        country "US")
Location.services                  service_at_location (id = derived(service, "at:<location id>"))
Contact.hsds_id                    contact.id
Contact.partner, service           contact.organization_id, service_id
Contact.name, title, email         contact.name, title, email
Contact.phone                      phone (id = derived(contact, "phone"), contact_id, number)
TaxonomyTerm.hsds_id               taxonomy_term.id, in the taxonomy "PSN needs and services"
TaxonomyTerm.code, name,           taxonomy_term.code, name, description (required by HSDS; "" when empty)
  description
TaxonomyTerm.parent                taxonomy_term.parent_id
TaxonomyTerm.active                attribute (link_entity "taxonomy_term") of field term "taxonomy-term-active"
Language.code, name                language.code (ISO 639-1), name; only languages of our Language table
=================================  ===============================================================================

The PSN-specific taxonomies ("PSN partner kinds", "PSN Hub fields") and their terms have fixed ids, the same
in every export; the importer recognises them by id and does not turn them into TaxonomyTerm rows. PSN-specific
attributes absent from a file leave an existing row's value as it is (a new row gets the model default);
standard HSDS fields absent from a file are emptied.
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from partners.models import Contact, Location, Partner, PartnerKind, Service, TaxonomyTerm

PSN_NAMESPACE = uuid.UUID("5b1e6f0e-6c1a-4f55-9d3a-2f3c7f1c9a01")
COUNTRY = "US"


def derived_id(owner_id: uuid.UUID | str, role: str) -> str:
    """The id of a row that belongs to ``owner_id`` and has no model of its own."""
    return str(uuid.uuid5(uuid.UUID(str(owner_id)), role))


def _fixed_id(name: str) -> str:
    return str(uuid.uuid5(PSN_NAMESPACE, name))


SERVICES_TAXONOMY_ID = _fixed_id("taxonomy:psn-needs-and-services")
KIND_TAXONOMY_ID = _fixed_id("taxonomy:psn-partner-kind")
FIELDS_TAXONOMY_ID = _fixed_id("taxonomy:psn-fields")

TAXONOMIES: list[dict[str, str]] = [
    {
        "id": SERVICES_TAXONOMY_ID,
        "name": "PSN needs and services",
        "description": "The task force's need and service categories (job training, housing, mentoring, ...).",
        "version": "1",
    },
    {
        "id": KIND_TAXONOMY_ID,
        "name": "PSN partner kinds",
        "description": "What kind of organisation a Project Safe Neighborhoods partner is.",
        "version": "1",
    },
    {
        "id": FIELDS_TAXONOMY_ID,
        "name": "PSN Hub fields",
        "description": "PSN Hub fields that HSDS 3 has no property for; the attribute's value holds the value.",
        "version": "1",
    },
]
INTERNAL_TAXONOMY_IDS = frozenset({KIND_TAXONOMY_ID, FIELDS_TAXONOMY_ID})

KIND_TERM_IDS: dict[str, str] = {kind: _fixed_id(f"psn-partner-kind:{kind}") for kind in PartnerKind.values}
KIND_BY_TERM_ID: dict[str, str] = {term_id: kind for kind, term_id in KIND_TERM_IDS.items()}

# field term code -> (link_entity, description)
FIELDS: dict[str, tuple[str, str]] = {
    "partner-active": ("organization", "Whether the partner is active: true or false."),
    "partner-service-area": ("organization", "The area the partner serves, as text."),
    "partner-languages": ("organization", "The partner's languages: ISO 639-1 codes separated by spaces."),
    "service-capacity": ("service", "How many people the service takes at a time (a whole number, or empty)."),
    "service-accepting-referrals": ("service", "Whether the service accepts referrals now: true or false."),
    "taxonomy-term-active": ("taxonomy_term", "Whether the category is in use: true or false."),
}
FIELD_TERM_IDS: dict[str, str] = {code: _fixed_id(f"psn-field:{code}") for code in FIELDS}
FIELD_BY_TERM_ID: dict[str, str] = {term_id: code for code, term_id in FIELD_TERM_IDS.items()}
INTERNAL_TERM_IDS = frozenset(KIND_BY_TERM_ID) | frozenset(FIELD_BY_TERM_ID)

INACTIVE_STATUSES = frozenset({"inactive", "defunct", "temporarily closed"})

# Which HSDS column a model field error is reported under.
HSDS_FIELD: dict[type, dict[str, str]] = {
    Partner: {"name": "name", "description": "description", "email": "email", "website": "website"},
    Service: {"name": "name", "description": "description", "url": "url", "eligibility": "eligibility_description"},
    Location: {"name": "name", "latitude": "latitude", "longitude": "longitude"},
    Contact: {"name": "name", "title": "title", "email": "email"},
    TaxonomyTerm: {"code": "code", "name": "name", "description": "description"},
}


def internal_terms() -> list[dict[str, Any]]:
    """The taxonomy_term rows of the PSN-specific taxonomies (kinds and fields)."""
    terms = [
        {
            "id": KIND_TERM_IDS[kind],
            "code": kind,
            "name": str(label),
            "description": f"Partner kind: {label}.",
            "taxonomy": "PSN partner kinds",
            "taxonomy_id": KIND_TAXONOMY_ID,
        }
        for kind, label in PartnerKind.choices
    ]
    terms += [
        {
            "id": FIELD_TERM_IDS[code],
            "code": code,
            "name": code,
            "description": description,
            "taxonomy": "PSN Hub fields",
            "taxonomy_id": FIELDS_TAXONOMY_ID,
        }
        for code, (_entity, description) in FIELDS.items()
    ]
    return terms


def _compact(data: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """Leave out empty optional values (the importer reads a missing value as empty)."""
    return {key: value for key, value in data.items() if key in keep or value not in ("", None, [])}


def bool_text(value: bool) -> str:
    return "true" if value else "false"


def parse_bool(value: Any) -> bool:
    """``"true"``/``"false"`` (and the usual spellings); raises ValueError otherwise."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "1", "y", "t"}:
        return True
    if text in {"false", "no", "0", "n", "f"}:
        return False
    raise ValueError(_("“%(value)s” is not true or false.") % {"value": value})


def parse_capacity(value: Any) -> int | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value}) from None
    if number != number.to_integral_value() or number < 0:
        raise ValueError(_("“%(value)s” is not a whole number of at least 0.") % {"value": value})
    return int(number)


def _field_attribute(link_entity: str, link_id: str, code: str, value: str) -> dict[str, Any]:
    return {
        "id": derived_id(link_id, f"field:{code}"),
        "link_id": link_id,
        "link_entity": link_entity,
        "link_type": "psn_field",
        "taxonomy_term_id": FIELD_TERM_IDS[code],
        "value": value,
    }


# --- export: model -> HSDS objects ------------------------------------------------------------------------


def organization_to_hsds(partner: Partner, *, language_codes: list[str], contacts: list[dict]) -> dict[str, Any]:
    org_id = str(partner.hsds_id)
    phones = []
    if partner.phone:
        phones.append({"id": derived_id(org_id, "phone"), "organization_id": org_id, "number": partner.phone})
    attributes = [
        {
            "id": derived_id(org_id, "kind"),
            "link_id": org_id,
            "link_entity": "organization",
            "link_type": "psn_partner_kind",
            "taxonomy_term_id": KIND_TERM_IDS[partner.kind],
        },
        _field_attribute("organization", org_id, "partner-active", bool_text(partner.active)),
        _field_attribute("organization", org_id, "partner-service-area", partner.service_area),
        _field_attribute("organization", org_id, "partner-languages", " ".join(sorted(language_codes))),
    ]
    return _compact(
        {
            "id": org_id,
            "name": partner.name,
            "description": partner.description,
            "email": partner.email,
            "website": partner.website,
            "phones": phones,
            "contacts": contacts,
            "attributes": attributes,
        },
        keep=("description",),
    )


def partner_postal_location(partner: Partner) -> dict[str, Any] | None:
    """The partner's own address as a postal location, or None when it has none."""
    if not any((partner.address_1, partner.city, partner.state_province, partner.postal_code)):
        return None
    org_id = str(partner.hsds_id)
    location_id = derived_id(org_id, "postal-location")
    return {
        "id": location_id,
        "location_type": "postal",
        "organization_id": org_id,
        "name": partner.name,
        "addresses": [
            _address(derived_id(org_id, "postal-address"), location_id, partner, address_type="postal"),
        ],
    }


def _address(address_id: str, location_id: str, owner: Partner | Location, *, address_type: str) -> dict[str, Any]:
    return {
        "id": address_id,
        "location_id": location_id,
        "address_1": owner.address_1,
        "city": owner.city,
        "state_province": owner.state_province,
        "postal_code": owner.postal_code,
        "country": COUNTRY,
        "address_type": address_type,
    }


def contact_to_hsds(contact: Contact, *, partner_hsds_id: str, service_hsds_id: str | None) -> dict[str, Any]:
    contact_id = str(contact.hsds_id)
    phones = []
    if contact.phone:
        phones.append({"id": derived_id(contact_id, "phone"), "contact_id": contact_id, "number": contact.phone})
    return _compact(
        {
            "id": contact_id,
            "organization_id": partner_hsds_id,
            "service_id": service_hsds_id,
            "name": contact.name,
            "title": contact.title,
            "email": contact.email,
            "phones": phones,
        }
    )


def service_to_hsds(
    service: Service,
    *,
    partner_hsds_id: str,
    category_ids: list[str],
    languages: list[tuple[str, str]],
    location_ids: list[str],
) -> dict[str, Any]:
    """``languages``: (code, name) pairs; ``category_ids`` and ``location_ids``: HSDS ids."""
    service_id = str(service.hsds_id)
    contacts = []
    if service.contact_name or service.contact_email or service.contact_phone:
        contact_id = derived_id(service_id, "contact")
        phones = []
        if service.contact_phone:
            phones.append(
                {
                    "id": derived_id(service_id, "contact-phone"),
                    "contact_id": contact_id,
                    "number": service.contact_phone,
                }
            )
        contacts.append(
            _compact(
                {
                    "id": contact_id,
                    "service_id": service_id,
                    "name": service.contact_name,
                    "email": service.contact_email,
                    "phones": phones,
                }
            )
        )
    schedules = []
    if service.hours:
        schedules.append(
            {"id": derived_id(service_id, "hours"), "service_id": service_id, "description": service.hours}
        )
    attributes = [
        _field_attribute(
            "service", service_id, "service-capacity", "" if service.capacity is None else str(service.capacity)
        ),
        _field_attribute("service", service_id, "service-accepting-referrals", bool_text(service.accepting_referrals)),
    ]
    attributes += [
        {
            "id": derived_id(service_id, f"category:{term_id}"),
            "link_id": service_id,
            "link_entity": "service",
            "link_type": "psn_category",
            "taxonomy_term_id": term_id,
        }
        for term_id in sorted(category_ids)
    ]
    return _compact(
        {
            "id": service_id,
            "organization_id": partner_hsds_id,
            "name": service.name,
            "description": service.description,
            "url": service.url,
            "status": "active" if service.active else "inactive",
            "eligibility_description": service.eligibility,
            "languages": [
                {"id": derived_id(service_id, f"language:{code}"), "service_id": service_id, "code": code, "name": name}
                for code, name in sorted(languages)
            ],
            "schedules": schedules,
            "contacts": contacts,
            "service_at_locations": [
                {
                    "id": derived_id(service_id, f"at:{location_id}"),
                    "service_id": service_id,
                    "location_id": location_id,
                }
                for location_id in sorted(location_ids)
            ],
            "attributes": attributes,
        }
    )


def location_to_hsds(location: Location, *, partner_hsds_id: str) -> dict[str, Any]:
    location_id = str(location.hsds_id)
    addresses = []
    if any((location.address_1, location.city, location.state_province, location.postal_code)):
        addresses.append(_address(derived_id(location_id, "address"), location_id, location, address_type="physical"))
    return _compact(
        {
            "id": location_id,
            "location_type": "physical",
            "organization_id": partner_hsds_id,
            "name": location.name,
            "latitude": None if location.latitude is None else float(location.latitude),
            "longitude": None if location.longitude is None else float(location.longitude),
            "addresses": addresses,
        }
    )


def taxonomy_term_to_hsds(term: TaxonomyTerm, *, parent_hsds_id: str | None) -> dict[str, Any]:
    return _compact(
        {
            "id": str(term.hsds_id),
            "code": term.code,
            "name": term.name,
            "description": term.description,
            "parent_id": parent_hsds_id,
            "taxonomy": "PSN needs and services",
            "taxonomy_id": SERVICES_TAXONOMY_ID,
        },
        keep=("description",),
    )


def taxonomy_term_active_attribute(term: TaxonomyTerm) -> dict[str, Any]:
    return _field_attribute("taxonomy_term", str(term.hsds_id), "taxonomy-term-active", bool_text(term.active))


# --- import: HSDS rows -> model field values ------------------------------------------------------------------


def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value).strip()


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value))


def partner_values(organization: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": _text(organization, "name"),
        "description": _text(organization, "description"),
        "email": _text(organization, "email"),
        "website": _text(organization, "website"),
    }


def address_values(address: dict[str, Any] | None) -> dict[str, str]:
    address = address or {}
    return {
        "address_1": _text(address, "address_1"),
        "city": _text(address, "city"),
        "state_province": _text(address, "state_province"),
        "postal_code": _text(address, "postal_code"),
    }


def service_values(service: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": _text(service, "name"),
        "description": _text(service, "description"),
        "url": _text(service, "url"),
        "eligibility": _text(service, "eligibility_description"),
        "active": _text(service, "status") not in INACTIVE_STATUSES,
    }


def location_values(location: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": _text(location, "name"),
        "latitude": _decimal(location.get("latitude")),
        "longitude": _decimal(location.get("longitude")),
    }


def contact_values(contact: dict[str, Any]) -> dict[str, Any]:
    return {"name": _text(contact, "name"), "title": _text(contact, "title"), "email": _text(contact, "email")}


def taxonomy_term_values(term: dict[str, Any]) -> dict[str, Any]:
    return {"code": _text(term, "code"), "name": _text(term, "name"), "description": _text(term, "description")}


def phone_number(phone: dict[str, Any]) -> str:
    return _text(phone, "number")


def schedule_text(schedule: dict[str, Any]) -> str:
    return _text(schedule, "description") or _text(schedule, "notes")


def parse_field(code: str, value: Any) -> Any:
    """The model value of a PSN field attribute; raises ValueError with a readable message."""
    text = "" if value is None else str(value).strip()
    if code in {"partner-active", "service-accepting-referrals", "taxonomy-term-active"}:
        return parse_bool(text)
    if code == "service-capacity":
        return parse_capacity(text)
    if code == "partner-languages":
        return sorted({part.lower() for part in text.replace(",", " ").split()})
    return text
