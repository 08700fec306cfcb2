"""A referral as an HL7 FHIR R4 (4.0.1) Bundle, in the shapes of the Gravity Project's SDOH Clinical Care guide
(SDOHCC): a Task for referral management whose focus is an SDOHCC ServiceRequest, for a Patient, requested by the
sending partner's Organization and owned by the receiving partner's.

Choices (documented in the API schema too):
- The Bundle is a ``collection`` (a set of resources read together, not a search result). Each entry's
  ``fullUrl`` is a ``urn:uuid:`` derived from the site, the resource type and our id, so the same referral always
  gets the same ids and references inside the Bundle resolve to its entries.
- ``STATUSES`` is the one table of status mappings: our referral status to the Task's status (and the
  ServiceRequest's). A transferred referral is a ``cancelled`` Task with the status reason "transferred" and an
  output pointing at the Task that continues it; the continuing ServiceRequest ``replaces`` the first (each link
  only where the reader may open the other referral).
- Codes of our own (needs, services, reasons and outcomes, partner kinds, referral statuses) live in code systems
  under ``PSN_SITE_URL/fhir/CodeSystem/``, per task force where the list is the task force's.
- The Patient carries only the minimal fields (name, birth date, phone, language) and only for readers who see the
  referral's details. A coordinator outside the two partners reads the same Bundle with a Patient that has an id
  (of that referral's Patient only, so two referrals of one person cannot be matched) and nothing else: the
  referral's metadata is theirs to read, the person is not. Free text (the referral's reason, notes, transition
  texts) never travels in the Bundle.
"""

from __future__ import annotations

import datetime
import uuid
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone

from partners.models import Partner, PartnerKind, Service, TaxonomyTerm

from .models import Priority, ReasonCode, Referral, Status

SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare"
TASK_PROFILE = f"{SDOHCC}/StructureDefinition/SDOHCC-TaskForReferralManagement"
SERVICE_REQUEST_PROFILE = f"{SDOHCC}/StructureDefinition/SDOHCC-ServiceRequest"
SDOHCC_TEMPORARY_CODES = f"{SDOHCC}/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category"
TASK_CODE = "http://hl7.org/fhir/CodeSystem/task-code"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"


class StatusMapping(NamedTuple):
    task: str
    service_request: str


# Referral status -> (Task.status, ServiceRequest.status). The request stays active while the Task is open; a
# closed referral that met nothing revokes it.
STATUSES: dict[str, StatusMapping] = {
    Status.DRAFT: StatusMapping("draft", "draft"),
    Status.SUBMITTED: StatusMapping("requested", "active"),
    Status.ACCEPTED: StatusMapping("accepted", "active"),
    Status.DECLINED: StatusMapping("rejected", "revoked"),
    Status.IN_PROGRESS: StatusMapping("in-progress", "active"),
    Status.COMPLETED: StatusMapping("completed", "completed"),
    Status.CLOSED_UNSUCCESSFUL: StatusMapping("failed", "revoked"),
    Status.WITHDRAWN: StatusMapping("cancelled", "revoked"),
    Status.TRANSFERRED: StatusMapping("cancelled", "revoked"),
}
# Our priorities are FHIR's request priorities (routine | urgent | asap | stat): one table all the same, so a new
# priority of ours fails loudly here instead of leaking an unknown code.
PRIORITIES: dict[str, str] = {
    Priority.ROUTINE: "routine",
    Priority.URGENT: "urgent",
    Priority.ASAP: "asap",
    Priority.STAT: "stat",
}
# Partner kinds that have an HL7 organization type; the others carry only our own kind code.
ORGANIZATION_TYPES: dict[str, tuple[str, str]] = {
    PartnerKind.LAW_ENFORCEMENT: ("govt", "Government"),
    PartnerKind.PROSECUTION: ("govt", "Government"),
    PartnerKind.GOVERNMENT: ("govt", "Government"),
    PartnerKind.COMMUNITY: ("cg", "Community Group"),
    PartnerKind.FAITH_BASED: ("reli", "Religious Institution"),
}


def fhir_base() -> str:
    return f"{settings.PSN_SITE_URL}/fhir"


def code_system(name: str, referral: Referral | None = None) -> str:
    """Our code system ``name``; per task force (its slug in the path) when ``referral`` is given."""
    if referral is None:
        return f"{fhir_base()}/CodeSystem/{name}"
    return f"{fhir_base()}/CodeSystem/{referral.task_force.slug}/{name}"


def _urn(resource_type: str, key: int | str) -> str:
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{fhir_base()}/{resource_type}/{key}"))


def _id(urn: str) -> str:
    return urn.removeprefix("urn:uuid:")


def _instant(value) -> str | None:
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z") if value else None


def _ref(urn: str, display: str | None = None) -> dict:
    return {"reference": urn, "display": display} if display else {"reference": urn}


def _reason_concept(referral: Referral, reason: ReasonCode) -> dict:
    return {
        "coding": [{"system": code_system(f"reasons/{reason.kind}", referral), "code": reason.code}],
        "text": reason.label,
    }


def _need_concept(referral: Referral, term: TaxonomyTerm) -> dict:
    return {
        "coding": [{"system": code_system("needs", referral), "code": term.code, "display": term.name}],
        "text": term.name,
    }


def _service_code(referral: Referral, service: Service | None, needs: list[TaxonomyTerm]) -> dict:
    if service is not None:
        coding = {"system": code_system("services", referral), "code": str(service.hsds_id), "display": service.name}
        return {"coding": [coding], "text": service.name}
    return {"text": ", ".join(term.name for term in needs)}


def _organization(partner: Partner) -> dict:
    coding = [{"system": code_system("partner-kind"), "code": partner.kind, "display": partner.get_kind_display()}]
    if partner.kind in ORGANIZATION_TYPES:
        code, display = ORGANIZATION_TYPES[partner.kind]
        coding.insert(0, {"system": ORGANIZATION_TYPE, "code": code, "display": display})
    resource = {
        "resourceType": "Organization",
        "id": _id(_urn("Organization", partner.pk)),
        "identifier": [{"system": f"{fhir_base()}/NamingSystem/hsds-organization", "value": str(partner.hsds_id)}],
        "active": partner.active,
        "type": [{"coding": coding}],
        "name": partner.name,
    }
    telecom = [
        {"system": system, "value": value}
        for system, value in (("phone", partner.phone), ("email", partner.email), ("url", partner.website))
        if value
    ]
    if telecom:
        resource["telecom"] = telecom
    address = {
        key: value
        for key, value in (
            ("city", partner.city),
            ("state", partner.state_province),
            ("postalCode", partner.postal_code),
        )
        if value
    }
    if partner.address_1:
        address["line"] = [partner.address_1]
    if address:
        resource["address"] = [address]
    return resource


def _patient(referral: Referral, urn: str, details: bool) -> dict:
    person = referral.person
    resource = {"resourceType": "Patient", "id": _id(urn)}
    if not details:
        return resource
    resource["name"] = [{"family": person.family_name, "given": [person.given_name]}]
    if person.phone:
        resource["telecom"] = [{"system": "phone", "value": person.phone}]
    if person.date_of_birth:
        resource["birthDate"] = person.date_of_birth.isoformat()
    if person.preferred_language_id:
        language = person.preferred_language
        resource["communication"] = [
            {
                "language": {
                    "coding": [{"system": "urn:ietf:bcp:47", "code": language.code, "display": language.name}],
                    "text": language.name,
                },
                "preferred": True,
            }
        ]
    return resource


def _business_status(referral: Referral) -> dict:
    status = Status(referral.status)
    label = str(status.label)
    code = status.value
    if referral.is_overdue:
        code, label = "overdue", f"{label} (overdue)"
    return {"coding": [{"system": code_system("referral-status"), "code": code, "display": label}], "text": label}


def _status_reason(referral: Referral) -> dict | None:
    if referral.status == Status.TRANSFERRED:
        return {
            "coding": [{"system": code_system("referral-status"), "code": "transferred", "display": "Transferred"}],
            "text": "Transferred to another partner",
        }
    if referral.status in (Status.DECLINED, Status.CLOSED_UNSUCCESSFUL, Status.WITHDRAWN) and referral.close_reason:
        return _reason_concept(referral, referral.close_reason)
    return None


def _outputs(referral: Referral, successor_visible: bool) -> list[dict]:
    outputs = []
    if referral.status == Status.COMPLETED and referral.close_reason:
        outputs.append(
            {
                "type": {
                    "coding": [{"system": SDOHCC_TEMPORARY_CODES, "code": "resulting-activity"}],
                    "text": "Outcome",
                },
                "valueCodeableConcept": _reason_concept(referral, referral.close_reason),
            }
        )
    successor = getattr(referral, "transferred_to", None) if referral.status == Status.TRANSFERRED else None
    if successor is not None and successor_visible:
        outputs.append(
            {
                "type": {
                    "coding": [{"system": code_system("task-output"), "code": "transferred-to"}],
                    "text": "Continued by",
                },
                "valueReference": _ref(_urn("Task", successor.pk), successor.reference),
            }
        )
    return outputs


def referral_bundle(referral: Referral, *, details: bool, linked_visible: dict[int, bool] | None = None) -> dict:
    """The Bundle of one referral as loaded by ``cases.selectors.referral_get_for`` (its person, partners,
    service, needs, close reason and transfer links). ``details``: the reader sees the person (else the Patient
    is an id only). ``linked_visible``: for the referral this one was transferred from or to, whether the reader
    may open it (only then is it referenced)."""
    linked_visible = linked_visible or {}
    needs = list(referral.needs.all())
    task_urn, request_urn = _urn("Task", referral.pk), _urn("ServiceRequest", referral.pk)
    # A reader of the metadata gets a Patient id of this referral only: one shared by every referral of the person
    # would tell them which referrals are about the same person.
    patient_urn = _urn("Patient", referral.person_id if details else f"of-referral-{referral.pk}")
    sending_urn = _urn("Organization", referral.sending_partner_id)
    receiving_urn = _urn("Organization", referral.receiving_partner_id)
    mapping = STATUSES[referral.status]
    identifier = [
        {"system": f"{fhir_base()}/NamingSystem/{referral.task_force.slug}/referral", "value": referral.reference}
    ]
    priority = PRIORITIES[referral.priority]

    task = {
        "resourceType": "Task",
        "id": _id(task_urn),
        "meta": {"profile": [TASK_PROFILE], "lastUpdated": _instant(referral.updated_at)},
        "identifier": identifier,
        "status": mapping.task,
        "businessStatus": _business_status(referral),
        "intent": "order",
        "priority": priority,
        "code": {"coding": [{"system": TASK_CODE, "code": "fulfill", "display": "Fulfill the focal request"}]},
        "focus": _ref(request_urn),
        "for": _ref(patient_urn),
        "authoredOn": _instant(referral.created_at),
        "lastModified": _instant(referral.updated_at),
        "requester": _ref(sending_urn, referral.sending_partner.name),
        "owner": _ref(receiving_urn, referral.receiving_partner.name),
    }
    status_reason = _status_reason(referral)
    if status_reason:
        task["statusReason"] = status_reason
    if referral.submitted_at:
        period = {"start": _instant(referral.submitted_at)}
        if referral.closed_at:
            period["end"] = _instant(referral.closed_at)
        task["executionPeriod"] = period
    if referral.due_date:
        task["restriction"] = {"period": {"end": referral.due_date.isoformat()}}
    successor = getattr(referral, "transferred_to", None) if referral.status == Status.TRANSFERRED else None
    outputs = _outputs(referral, successor is not None and linked_visible.get(successor.pk, False))
    if outputs:
        task["output"] = outputs

    service_request = {
        "resourceType": "ServiceRequest",
        "id": _id(request_urn),
        "meta": {"profile": [SERVICE_REQUEST_PROFILE], "lastUpdated": _instant(referral.updated_at)},
        "identifier": identifier,
        "status": mapping.service_request,
        "intent": "order",
        "category": [
            {"coding": [{"system": US_CORE_CATEGORY, "code": "sdoh", "display": "SDOH"}]},
            *(_need_concept(referral, term) for term in needs),
        ],
        "priority": priority,
        "code": _service_code(referral, referral.service, needs),
        "subject": _ref(patient_urn),
        "authoredOn": _instant(referral.submitted_at or referral.created_at),
        "requester": _ref(sending_urn, referral.sending_partner.name),
        "performer": [_ref(receiving_urn, referral.receiving_partner.name)],
    }
    if referral.due_date:
        service_request["occurrencePeriod"] = {"end": referral.due_date.isoformat()}
    predecessor = referral.transferred_from
    if predecessor is not None and linked_visible.get(predecessor.pk, False):
        service_request["replaces"] = [_ref(_urn("ServiceRequest", predecessor.pk), predecessor.reference)]

    resources = [
        (task_urn, task),
        (request_urn, service_request),
        (patient_urn, _patient(referral, patient_urn, details)),
        (sending_urn, _organization(referral.sending_partner)),
        (receiving_urn, _organization(referral.receiving_partner)),
    ]
    return {
        "resourceType": "Bundle",
        "id": _id(_urn("Bundle", referral.pk)),
        "meta": {"lastUpdated": _instant(referral.updated_at)},
        "type": "collection",
        "timestamp": _instant(timezone.now()),
        "entry": [{"fullUrl": urn, "resource": resource} for urn, resource in resources],
    }
