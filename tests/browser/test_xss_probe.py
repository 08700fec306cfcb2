"""Stored XSS probe (issue 9, item 3): a script-bearing probe in every text field a user can set, of every model the
pages show, and a javascript: address in every URL field; then every page that shows them, in Chromium, as a
coordinator and as the receiving partner's staff (who alone read the notes).

On every page: no dialog, window.__xss never set, no console error, no CSP violation; the served HTML holds the
probe only escaped (the CSP's script-src 'self' would block an inline script anyway, so the test reads the HTML
itself: it fails if escaping breaks even though the CSP would save us); no link goes to javascript:. On the detail
pages the probe is visible as text, so it was rendered, escaped, not dropped.
"""

import datetime

import pytest
from django.utils import timezone

from accounts.models import ApiToken
from cases.models import (
    Attachment,
    Consent,
    Note,
    Notification,
    Person,
    ReasonCode,
    Referral,
    Status,
    Transition,
)
from meetings.models import ActionItem, Invitee, Meeting, MeetingPartner
from partners.models import (
    Contact,
    DirectoryImport,
    Location,
    PartnerKind,
    Role,
    Service,
    TaxonomyTerm,
)
from psn import audit
from reports.models import CrimeCountUpload
from tests.factories import MembershipFactory, PartnerFactory, TaskForceFactory, UserFactory

pytestmark = pytest.mark.browser

PROBE = (
    '"><script>window.__xss=(window.__xss||0)+1</script>'
    '<img src=x onerror="window.__xss=(window.__xss||0)+1">'
    '<svg onload="window.__xss=(window.__xss||0)+1">'
)
JS_URL = "javascript:window.__xss=(window.__xss||0)+1"
# What the served HTML must never hold: the probe's markup unescaped.
RAW = ("<script>window.__xss", 'onerror="window', 'onload="window', "<img src=x", "<svg onload")


def probe(tag: str) -> str:
    """The probe, marked with the field it is stored in (to tell which field leaked)."""
    return f"{tag}:{PROBE}"


def _world():
    """A task force with every user-editable text field of every shown model holding the probe."""
    tf = TaskForceFactory(name=probe("tf.name")[:200], slug="xss", district=probe("tf.district")[:200])
    police = PartnerFactory(task_force=tf, name=probe("police.name"), kind=PartnerKind.LAW_ENFORCEMENT)
    usao = PartnerFactory(task_force=tf, name=probe("usao.name"), kind=PartnerKind.PROSECUTION)
    provider = PartnerFactory(
        task_force=tf,
        name=probe("partner.name"),
        kind=PartnerKind.SERVICE_PROVIDER,
        description=probe("partner.description"),
        address_1=probe("partner.address_1"),
        city=probe("partner.city")[:100],
        state_province="<b>x</b>",  # 50 characters at most: a tag still shows whether it is escaped
        postal_code="<i>x</i>",
        phone="<b>555</b>",
        website=JS_URL,
        service_area=probe("partner.service_area"),
    )
    coordinator = UserFactory(email="coordinator@example.org", full_name=probe("coordinator.full_name")[:150])
    MembershipFactory(user=coordinator, partner=usao, role=Role.COORDINATOR)
    staff = UserFactory(email="staff@example.org", full_name=probe("staff.full_name")[:150])
    MembershipFactory(user=staff, partner=provider, role=Role.REFERRAL_STAFF)
    officer = UserFactory(email="officer@example.org", full_name=probe("officer.full_name")[:150])
    MembershipFactory(user=officer, partner=police, role=Role.REFERRAL_STAFF)
    now = timezone.now()
    for user in (coordinator, staff):
        ApiToken.objects.create(
            user=user, name=probe("token.name")[:100], key_id=f"k{user.pk:015d}", digest="0" * 64,
            expires_at=now + datetime.timedelta(days=30),
        )  # fmt: skip

    term = TaxonomyTerm.objects.create(
        task_force=tf, code="xss-need", name=probe("term.name")[:120], description=probe("term.description")
    )
    service = Service.objects.create(
        task_force=tf,
        partner=provider,
        name=probe("service.name"),
        description=probe("service.description"),
        eligibility=probe("service.eligibility"),
        hours=probe("service.hours"),
        contact_name=probe("service.contact_name")[:150],
        contact_phone="<b>555</b>",
        url=JS_URL,
    )
    service.categories.set([term])
    location = Location.objects.create(
        task_force=tf, partner=provider, name=probe("location.name"), address_1=probe("location.address_1"),
        city=probe("location.city")[:100],
    )  # fmt: skip
    location.services.set([service])
    Contact.objects.create(
        task_force=tf, partner=provider, service=service, name=probe("contact.name")[:150],
        title=probe("contact.title")[:150], phone="<b>555</b>",
    )  # fmt: skip

    person = Person.objects.create(
        task_force=tf,
        given_name=probe("person.given_name")[:100],
        family_name=probe("person.family_name")[:100],
        aliases=probe("person.aliases"),
        phone="<b>555</b>",
        neighborhood=probe("person.neighborhood")[:100],
        created_by=officer,
    )
    Consent.objects.create(
        person=person, task_force=tf, scope="task_force", shares=["contact", "needs"], method="verbal",
        given_on=timezone.localdate(), recorded_by=officer, recorded_by_partner=police,
    )  # fmt: skip
    revoked = Consent.objects.create(
        person=person, task_force=tf, scope="task_force", shares=["contact"], method="verbal",
        given_on=timezone.localdate(), recorded_by=officer, recorded_by_partner=police,
        revoked_at=now, revoke_reason=probe("consent.revoke_reason"),
    )  # fmt: skip
    assert revoked.pk
    decline = ReasonCode.objects.create(task_force=tf, kind="decline", code="xss", label=probe("reason.label")[:120])
    referral = Referral.objects.create(
        task_force=tf,
        reference="R-XSS-000001",
        person=person,
        sending_partner=police,
        receiving_partner=provider,
        service=service,
        reason=probe("referral.reason"),
        status=Status.SUBMITTED,
        created_by=officer,
        submitted_at=now,
        acknowledge_by=now + datetime.timedelta(days=2),
    )
    referral.needs.set([term])
    Transition.objects.create(
        task_force=tf, referral=referral, actor=officer, actor_partner=police, from_status="draft",
        to_status="submitted", reason_text=probe("transition.reason_text"),
    )  # fmt: skip
    declined = Referral.objects.create(
        task_force=tf, reference="R-XSS-000002", person=person, sending_partner=police, receiving_partner=provider,
        reason=probe("declined.reason"), status=Status.DECLINED, created_by=officer, submitted_at=now,
        acknowledged_at=now,
    )  # fmt: skip
    declined.needs.set([term])
    Transition.objects.create(
        task_force=tf, referral=declined, actor=staff, actor_partner=provider, from_status="submitted",
        to_status="declined", reason=decline, reason_text=probe("decline.reason_text"),
    )  # fmt: skip
    Note.objects.create(
        task_force=tf, referral=referral, author=officer, author_partner=police, visibility="shared",
        body=probe("note.body"),
    )  # fmt: skip
    Attachment.objects.create(
        task_force=tf, referral=referral, uploaded_by=officer, uploaded_by_partner=police, visibility="shared",
        file="attachments/xss/none", original_name=probe("attachment.original_name"), content_type="text/plain",
        size=1, sha256="0" * 64,
    )  # fmt: skip
    for user in (coordinator, staff):
        Notification.objects.create(
            task_force=tf, user=user, referral=referral, kind="submitted", message=probe("notification.message")
        )

    start = (now + datetime.timedelta(days=1)).replace(microsecond=0)
    meeting = Meeting.objects.create(
        task_force=tf,
        kind="working_group",
        title=probe("meeting.title"),
        start=start,
        end=start + datetime.timedelta(hours=1),
        timezone=tf.timezone,
        place=probe("meeting.place"),
        video_link=JS_URL,
        agenda=probe("meeting.agenda"),
        minutes=probe("meeting.minutes"),
        created_by=coordinator,
    )
    MeetingPartner.objects.create(meeting=meeting, partner=provider)
    for user in (coordinator, staff):
        Invitee.objects.create(meeting=meeting, user=user, invited_personally=True)
    ActionItem.objects.create(
        task_force=tf, meeting=meeting, text=probe("action_item.text"), owner=staff,
        due_date=timezone.localdate() + datetime.timedelta(days=3), created_by=coordinator,
    )  # fmt: skip

    upload = CrimeCountUpload.objects.create(
        task_force=tf, partner=police, uploaded_by=officer, filename=probe("crime.filename")[:200], months=["2026-01"]
    )
    directory_import = DirectoryImport.objects.create(
        task_force=tf, created_by=coordinator, original_name=probe("import.original_name"), file_format="json",
        size=10, status="failed", error=probe("import.error"), stage=probe("import.stage")[:100],
        problems=[{"file": probe("problem.file"), "row": 2, "field": probe("problem.field"),
                   "message": probe("problem.message"), "severity": "error"}],
    )  # fmt: skip
    audit.record(
        action="changed",
        actor=coordinator,
        task_force=tf,
        object_type="partners.partner",
        object_id=provider.pk,
        object_repr=probe("audit.object_repr"),
        changes={"name": [probe("audit.before"), probe("audit.after")]},
    )
    return {
        "tf": tf,
        "coordinator": coordinator,
        "staff": staff,
        "provider": provider,
        "service": service,
        "person": person,
        "referral": referral,
        "declined": declined,
        "meeting": meeting,
        "upload": upload,
        "import": directory_import,
    }


def _visit(ui, path: str, dialogs: list, *, shows: tuple[str, ...] = ()) -> None:
    page = ui.page
    response = page.goto(ui.url(path))
    assert response is not None and response.status == 200, f"{path}: {response and response.status}"
    html = response.text()
    for raw in RAW:
        at = html.find(raw)
        assert at == -1, f"{path} serves the probe unescaped: …{html[max(0, at - 150) : at + 80]}…"
    ui.check(axe=False)  # no CSP violation (an inline script that got through would be one), no console error
    assert page.evaluate("typeof window.__xss") == "undefined", f"{path}: the probe ran"
    assert dialogs == [], f"{path}: a dialog opened: {dialogs}"
    assert (
        page.evaluate('document.querySelectorAll(\'[href^="javascript:" i], [src^="javascript:" i]\').length') == 0
    ), f"{path} links to a javascript: address"
    text = page.evaluate("document.body.innerText")
    for tag in shows:
        # Up to the end of its <script> element: the whole probe does not fit the shorter fields.
        assert probe(tag)[: len(tag) + 52] in text, f"{path} does not show {tag} as text"


@pytest.mark.parametrize("viewport", ["desktop"])
def test_the_probe_stored_in_every_text_field_never_runs_and_shows_as_text(ui, transactional_db, viewport):
    w = _world()
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    ui.page.on("dialog", on_dialog)
    referral, person, meeting = w["referral"], w["person"], w["meeting"]

    ui.log_in(w["coordinator"].email)
    ui.expect_path("/")
    coordinator_pages = [
        ("/", ()),
        ("/directory/partners/", ("partner.name",)),
        (
            f"/directory/partners/{w['provider'].pk}/",
            ("partner.name", "partner.description", "partner.address_1", "partner.service_area"),
        ),
        (f"/directory/partners/{w['provider'].pk}/members/", ("staff.full_name",)),
        ("/directory/services/", ("service.name",)),
        (
            f"/directory/services/{w['service'].pk}/",
            ("service.name", "service.description", "service.eligibility", "service.hours", "term.name"),
        ),
        ("/referrals/", ()),
        (f"/referrals/{referral.pk}/", ()),  # a coordinator outside both partners: metadata only
        (f"/referrals/{w['declined'].pk}/", ("reason.label",)),
        ("/referrals/reason-codes/", ("reason.label",)),
        ("/people/", ()),
        ("/meetings/", ("meeting.title",)),
        (f"/meetings/?view=month&month={timezone.localtime(meeting.start):%Y-%m}", ()),
        (f"/meetings/{meeting.pk}/", ("meeting.title", "meeting.place", "meeting.agenda", "action_item.text")),
        ("/meetings/action-items/", ()),  # the coordinator's own: none
        ("/reports/", ()),
        ("/reports/crime-counts/", ("crime.filename",)),
        ("/directory/hsds/", ("import.original_name",)),
        (f"/directory/hsds/imports/{w['import'].pk}/", ("import.original_name", "problem.message")),
        ("/audit/", ("audit.object_repr",)),
        ("/profile/", ("token.name",)),
    ]
    for path, shows in coordinator_pages:
        _visit(ui, path, dialogs, shows=shows)

    ui.sign_out()
    ui.log_in(w["staff"].email)
    ui.expect_path("/")
    staff_pages = [
        ("/", ("meeting.title",)),
        (
            f"/referrals/{referral.pk}/",
            ("note.body", "attachment.original_name", "referral.reason", "transition.reason_text"),
        ),
        (f"/referrals/{w['declined'].pk}/", ("decline.reason_text", "reason.label")),
        ("/people/", ()),
        (f"/people/{person.pk}/", ("person.aliases", "person.neighborhood", "consent.revoke_reason")),
        (f"/meetings/{meeting.pk}/", ("meeting.minutes",)),
        ("/meetings/action-items/", ("action_item.text",)),
        ("/profile/", ("token.name",)),
    ]
    for path, shows in staff_pages:
        _visit(ui, path, dialogs, shows=shows)
