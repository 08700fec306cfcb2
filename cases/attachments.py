"""Attachments of a referral: accepted by content, stored under a non-guessable name, opened only through
``attachment_open_for`` (access check and audit). The download view serves the handle with
``Content-Disposition: attachment`` and ``X-Content-Type-Options: nosniff``; there is never a public URL.

The allow-list is checked on the bytes (the ``filetype`` package reads the signatures), and the name's
extension must agree with what the bytes are: a page named ``.pdf`` or a program named ``.png`` is refused.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.db import models, transaction
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from psn import access, audit

from .models import Attachment, Consent, NoteVisibility, PersonRecordJob, Referral

logger = logging.getLogger(__name__)

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"
# What each accepted type may be called.
EXTENSIONS = {
    PDF: {"pdf"},
    PNG: {"png"},
    JPEG: {"jpg", "jpeg"},
    DOCX: {"docx"},
    TEXT: {"txt", "text", "csv", "log"},
}
ZIP_TYPES = {"application/zip", DOCX}
HEAD_BYTES = 8192
NAME_MAX_CHARS = 120
# Markup a browser would render if it ever ignored the download headers: refused even as "plain text".
MARKUP = re.compile(rb"^\s*(<\?xml|<!doctype|<html|<head|<body|<script|<svg|<iframe|<!--)", re.IGNORECASE)
# A Word document is a zip: a part compressed more than this (once over a megabyte unpacked), or parts adding up to
# more, is a zip bomb aimed at whoever opens it; real documents stay far below (text XML compresses about 10 to 1).
DOCX_MAX_RATIO = 100
DOCX_RATIO_FROM_BYTES = 1024 * 1024
DOCX_MAX_UNPACKED_BYTES = 200 * 1024 * 1024
DOCX_MAX_PARTS = 2000
NOT_ALLOWED = gettext_lazy("Only PDF, PNG, JPEG, Word (DOCX) and plain-text files can be attached.")


@dataclass(frozen=True)
class _Checked:
    content_type: str
    size: int
    sha256: str


def display_name(name: str) -> str:
    """The uploaded name made safe to show: no folders, no control or direction-changing characters (which
    can make "gpj.exe" read as "exe.jpg"), no characters file systems refuse, at most NAME_MAX_CHARS
    characters with the extension kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        " " if unicodedata.category(ch) == "Zs" else ch
        for ch in name
        if unicodedata.category(ch)[0] != "C" and unicodedata.category(ch) not in ("Zl", "Zp")
    )
    name = re.sub(r'[<>:"|?*]', "", name)
    name = re.sub(r"\s+", " ", name).strip().lstrip(".")
    if len(name) > NAME_MAX_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: NAME_MAX_CHARS - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:NAME_MAX_CHARS]
    return name


def _extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def _is_docx(uploaded_file) -> bool:
    """A Word document: a zip with the main document part, declared as a (macro-free) Word document."""
    uploaded_file.seek(0)
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            names = set(archive.namelist())
            if "word/document.xml" not in names or "[Content_Types].xml" not in names:
                return False
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                return False
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > 1024 * 1024:
                return False
            types = archive.read(info)
    # Damaged or truncated zip, a missing [Content_Types].xml (KeyError), an encrypted member (RuntimeError), an
    # unsupported compression method (NotImplementedError): not a Word document, so the upload is refused.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, KeyError, RuntimeError, NotImplementedError):
        return False
    finally:
        uploaded_file.seek(0)
    return b"wordprocessingml.document.main+xml" in types and b"macroEnabled" not in types


def _unsafe_part_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":")


def _check_docx_parts(uploaded_file) -> None:
    """What the zip's directory says about its parts (nothing is unpacked here): no zip bomb, no part named to land
    outside the document's folder when someone unpacks it."""
    uploaded_file.seek(0)
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            parts = archive.infolist()
    finally:
        uploaded_file.seek(0)
    if len(parts) > DOCX_MAX_PARTS:
        raise ValidationError(
            {"file": _("The Word document has more than %(max)s parts; it is refused.") % {"max": DOCX_MAX_PARTS}}
        )
    for part in parts:
        if _unsafe_part_name(part.filename):
            raise ValidationError({"file": _("The Word document holds a part with an unsafe name; it is refused.")})
    bomb = sum(part.file_size for part in parts) > DOCX_MAX_UNPACKED_BYTES or any(
        part.file_size > DOCX_RATIO_FROM_BYTES and part.file_size > DOCX_MAX_RATIO * max(part.compress_size, 1)
        for part in parts
    )
    if bomb:
        raise ValidationError({"file": _("The Word document unpacks to far more than its size (a zip bomb?).")})


def _is_plain_text(uploaded_file) -> bool:
    """Valid UTF-8 from end to end, no NUL byte, and not markup."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    uploaded_file.seek(0)
    first = True
    try:
        for chunk in uploaded_file.chunks():
            if first and MARKUP.match(chunk.removeprefix(codecs.BOM_UTF8)):
                return False
            first = False
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        uploaded_file.seek(0)
    return True


def _check(uploaded_file, name: str) -> _Checked:
    size = uploaded_file.size
    if not size:
        raise ValidationError({"file": _("The file is empty.")})
    limit = settings.PSN_ATTACHMENT_MAX_BYTES
    if size > limit:
        raise ValidationError({"file": _("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}})
    uploaded_file.seek(0)
    head = uploaded_file.read(HEAD_BYTES)
    uploaded_file.seek(0)
    kind = filetype.guess(head)
    if kind is None:
        content_type = TEXT if _is_plain_text(uploaded_file) else None
    elif kind.mime in ZIP_TYPES:
        content_type = DOCX if _is_docx(uploaded_file) else None
        if content_type == DOCX:
            _check_docx_parts(uploaded_file)
    elif kind.mime in (PDF, PNG, JPEG):
        content_type = kind.mime
    else:
        content_type = None
    if content_type is None:
        raise ValidationError({"file": NOT_ALLOWED})
    if _extension(name) not in EXTENSIONS[content_type]:
        raise ValidationError(
            {
                "file": _("The file's name does not match its content (%(type)s): rename it to end in .%(ext)s.")
                % {"type": content_type, "ext": sorted(EXTENSIONS[content_type])[0]}
            }
        )
    digest = hashlib.sha256()
    counted = 0
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
        counted += len(chunk)
    uploaded_file.seek(0)
    if counted > limit:  # a size attribute that lied
        raise ValidationError({"file": _("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}})
    return _Checked(content_type=content_type, size=counted, sha256=digest.hexdigest())


def attachment_add(
    *, actor: access.Actor, referral: Referral, uploaded_file, visibility: str, request=None
) -> Attachment:
    """Attach a file for the actor's partner on this referral. Refusals (type, size, name, rights) leave no
    file and no row behind."""
    if not access.can_view_referral(actor, referral):
        raise Http404
    access.require(
        access.can_add_attachment(actor, referral),
        _("Only the members of this referral's two partners attach files to it."),
    )
    if visibility not in NoteVisibility.values:
        raise ValidationError({"visibility": _("Choose shared or internal.")})
    name = display_name(getattr(uploaded_file, "name", "") or "")
    if not _extension(name):
        raise ValidationError({"file": _("The file needs a name ending in its type, such as .pdf.")})
    checked = _check(uploaded_file, name)
    attachment = Attachment(
        task_force_id=referral.task_force_id,
        referral=referral,
        uploaded_by=actor.user,
        uploaded_by_partner_id=access.referral_side_of(actor, referral),
        visibility=visibility,
        original_name=name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
    )
    attachment.full_clean(exclude=["file"])
    stored_name = None
    try:
        with transaction.atomic():
            # The storage writes under cases.models.attachment_path (a random name); the row keeps the real one.
            attachment.file.save(name, uploaded_file, save=False)
            stored_name = attachment.file.name
            attachment.full_clean()
            attachment.save()
            audit.record(
                action="created",
                actor=actor.user,
                task_force=actor.task_force,
                obj=attachment,
                changes={
                    "referral": referral.reference,
                    "visibility": visibility,
                    "content_type": checked.content_type,
                    "size": checked.size,
                    "sha256": checked.sha256,
                },
                request=request,
            )
    except BaseException:
        if stored_name:
            attachment.file.storage.delete(stored_name)
        raise
    return attachment


def attachment_open_for(*, actor: access.Actor, pk: int | str, request=None):
    """The attachment and an open binary handle on its file, for an actor who may read it (Http404 for anyone
    else: its existence is no business of theirs). Each opening is audited as "viewed"; the caller closes
    the handle (FileResponse does)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    if not access.can_act(actor):
        raise Http404
    attachment = (
        Attachment.objects.select_related("referral", "uploaded_by_partner")
        .filter(task_force=actor.task_force, pk=pk)
        .first()
    )
    if attachment is None or not access.can_view_attachment(actor, attachment):
        raise Http404
    handle = attachment.file.storage.open(attachment.file.name, "rb")
    try:
        audit.record(
            action="viewed",
            actor=actor.user,
            task_force=actor.task_force,
            obj=attachment,
            changes={"referral": attachment.referral.reference, "download": True},
            request=request,
        )
    except BaseException:
        handle.close()  # no download without its audit event
        raise
    return attachment, handle


# --- Orphan files ------------------------------------------------------------------------------------------------
#
# A file is written to storage before its row commits (the row must name a file that exists). When the caller's
# transaction rolls back after the service returned (an outer atomic block that fails later), or the process dies
# between the write and the commit, the file stays with no row pointing at it: Django has no rollback hook to
# remove it then. A daily task (cases.tasks.storage_orphans_delete) removes such files instead. The age limit keeps
# it off files whose transaction may still commit.

# Storage folder -> the model whose ``file`` rows own the files in it.
STORED_FILE_FOLDERS: dict[str, type[models.Model]] = {
    "attachments": Attachment,
    "consents": Consent,
    "person-records": PersonRecordJob,  # the zip of an export whose person was purged before it expired
}
ORPHAN_MIN_AGE = timedelta(days=1)
ORPHAN_BATCH = 500


def _stored_names(storage: Storage, folder: str):
    """Every file name under ``folder`` (recursively), as the storage names them."""
    if not storage.exists(folder):
        return
    folders, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _stored_names(storage, f"{folder}/{sub}")


def _batches(names, size: int):
    batch: list[str] = []
    for name in names:
        batch.append(name)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def storage_orphans_delete(*, min_age: timedelta = ORPHAN_MIN_AGE, now: datetime | None = None) -> list[str]:
    """Delete the attachment and consent files that no row names and that were written more than ``min_age``
    ago; returns their names. Running it again finds nothing more to do."""
    now = now or timezone.now()
    deleted: list[str] = []
    for folder, model in STORED_FILE_FOLDERS.items():
        storage = model._meta.get_field("file").storage
        for batch in _batches(_stored_names(storage, folder), ORPHAN_BATCH):
            owned = set(model.objects.filter(file__in=batch).values_list("file", flat=True))
            for name in batch:
                if name in owned or storage.get_modified_time(name) > now - min_age:
                    continue
                if model.objects.filter(file=name).exists():  # committed since the batch was read
                    continue
                storage.delete(name)
                deleted.append(name)
                logger.warning("Deleted %s: no %s row names it.", name, model._meta.label)
    return deleted
