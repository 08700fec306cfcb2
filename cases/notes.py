"""Notes on a referral: adding, editing within 15 minutes, annotating after that.

A note is shared with the other partner or internal to the writer's partner (psn/access.py decides who reads
which). The audit trail records that a note was written or edited, its visibility and lengths, never its
text: the trail is read by coordinators, who must not read partners' notes. Reading notes is not audited
here: the referral pages and API record the "viewed" event. A shared note tells the other partner's referral staff
(in-app and by email, through cases/notifications.py); an internal note tells nobody.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from psn import access, audit

from . import lifecycle, notifications
from .models import NOTE_EDIT_WINDOW_SECONDS, Note, NoteVisibility, Referral

# The notification kind of a new shared note (Notification.kind).
NOTE_KIND = "note"


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the note.")})
    # A TextField's max_length is not checked by full_clean(): the service holds the limit for every caller.
    limit = Note._meta.get_field("body").max_length
    if len(body) > limit:
        raise ValidationError({"body": _("A note has at most %(limit)d characters.") % {"limit": limit}})
    return body


def _require_visible(actor: access.Actor, referral: Referral) -> None:
    # Another task force's referral, or one the actor cannot see at all, does not exist for them.
    if not access.can_view_referral(actor, referral):
        raise Http404


def _notify_other_partner(*, actor: access.Actor, referral: Referral, note: Note) -> None:
    """Tell the other partner's referral staff and admins (in-app, and by email once committed) that a shared note
    was written; never the writer, who may belong to both. The message names the referral and the writing
    partner only: the note's text and the person stay on PSN Hub. An internal note tells nobody."""
    if note.author_partner_id == referral.sending_partner_id:
        writer, other_id = referral.sending_partner, referral.receiving_partner_id
    else:
        writer, other_id = referral.receiving_partner, referral.sending_partner_id
    if not access.partner_sees_referral_details(referral, other_id):
        return  # a draft: the receiving partner does not know of it yet
    notifications.notify(
        referral=referral,
        kind=NOTE_KIND,
        recipients=notifications.staff_of(other_id).exclude(pk=actor.user.pk),
        message=_("New note on referral %(reference)s from %(partner)s.")
        % {"reference": referral.reference, "partner": writer.name},
    )


def _create(
    *,
    actor: access.Actor,
    referral: Referral,
    body: str,
    visibility: str,
    is_contact: bool,
    annotates: Note | None,
    request,
) -> Note:
    _require_visible(actor, referral)
    access.require(
        access.can_add_note(actor, referral),
        _("Only the members of this referral's two partners add notes to it."),
    )
    if visibility not in NoteVisibility.values:
        raise ValidationError({"visibility": _("Choose shared or internal.")})
    body = _clean_body(body)
    author_partner_id = access.referral_side_of(actor, referral)
    with transaction.atomic():
        note = Note(
            task_force_id=referral.task_force_id,
            referral=referral,
            author=actor.user,
            author_partner_id=author_partner_id,
            visibility=visibility,
            body=body,
            annotates=annotates,
            is_contact=is_contact,
            created_at=timezone.now(),
        )
        note.full_clean()
        note.save()
        audit.record(
            action="created",
            actor=actor.user,
            task_force=actor.task_force,
            obj=note,
            changes={
                "referral": referral.reference,
                "visibility": visibility,
                "length": len(body),
                "is_contact": is_contact,
                "annotates": annotates.pk if annotates else None,
            },
            request=request,
        )
        if visibility == NoteVisibility.SHARED:
            _notify_other_partner(actor=actor, referral=referral, note=note)
        if is_contact:
            # Recording contact is the lifecycle's move (receiving referral staff, accepted or in progress; set
            # once under the row lock, audited): a refusal there rolls the note back with it.
            referral.first_contact_at = lifecycle.referral_record_contact(
                actor=actor, referral=referral, at=note.created_at, request=request
            ).first_contact_at
    return note


def note_add(
    *,
    actor: access.Actor,
    referral: Referral,
    body: str,
    visibility: str,
    is_contact: bool = False,
    request=None,
) -> Note:
    """Write a note for the actor's partner on this referral (the receiving partner if they belong to both).
    A contact note records contact through ``lifecycle.referral_record_contact`` (its right and states apply:
    the receiving partner's referral staff, on an accepted or in-progress referral), which sets the
    referral's first contact once."""
    return _create(
        actor=actor,
        referral=referral,
        body=body,
        visibility=visibility,
        is_contact=is_contact,
        annotates=None,
        request=request,
    )


def note_edit(*, actor: access.Actor, note: Note, body: str, request=None) -> Note:
    """Change the text of one's own note within NOTE_EDIT_WINDOW_SECONDS of writing it; after that a note is
    only annotated. Visibility and the contact mark do not change."""
    body = _clean_body(body)
    with transaction.atomic():
        note = Note.objects.select_for_update(of=("self",)).select_related("referral").filter(pk=note.pk).first()
        if note is None or not access.can_view_note(actor, note):
            raise Http404
        access.require(
            note.author_id == getattr(actor.user, "pk", None) and access.can_add_note(actor, note.referral),
            _("Only the author edits a note."),
        )
        now = timezone.now()
        if now - note.created_at > timedelta(seconds=NOTE_EDIT_WINDOW_SECONDS):
            raise ValidationError(
                _("Notes can be annotated, not edited, after %(minutes)d minutes.")
                % {"minutes": NOTE_EDIT_WINDOW_SECONDS // 60}
            )
        if body == note.body:
            return note
        before = len(note.body)
        note.body = body
        note.edited_at = now
        note.full_clean()
        note.save(update_fields=["body", "edited_at"])
        audit.record(
            action="changed",
            actor=actor.user,
            task_force=actor.task_force,
            obj=note,
            changes={"length": [str(before), str(len(body))]},
            request=request,
        )
    return note


def note_annotate(*, actor: access.Actor, note: Note, body: str, visibility: str | None = None, request=None) -> Note:
    """Add a note that annotates an earlier one (any member of either partner who reads it; the author after
    the edit window). It keeps the original's visibility unless told otherwise, and an internal note is never
    annotated in the open: the other partner would read a comment on a note they cannot see."""
    original = Note.objects.select_related("referral").filter(pk=note.pk).first()
    if original is None or not access.can_view_note(actor, original):
        raise Http404
    visibility = visibility or original.visibility
    if original.visibility == NoteVisibility.INTERNAL and visibility != NoteVisibility.INTERNAL:
        raise ValidationError({"visibility": _("An internal note can only be annotated internally.")})
    return _create(
        actor=actor,
        referral=original.referral,
        body=body,
        visibility=visibility,
        is_contact=False,
        annotates=original,
        request=request,
    )
