"""What a file may be before it is read: the size limits (from settings), the whole-file ``Refused`` that stops
reading, bounded reads of an upload, a path or a zip member (never more than the limit, nor than a member
declares), the zip-bomb checks made from the sizes a zip's directory declares before anything is inflated,
unsafe member names, and the text encodings accepted (UTF-8, or UTF-16/32 with their BOM).
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.utils.translation import gettext as _

from ..types import Problem


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    zip_max_uncompressed: int
    zip_max_ratio: int
    zip_max_members: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_bytes=settings.PSN_HSDS_MAX_UPLOAD_BYTES,
            zip_max_uncompressed=settings.PSN_HSDS_ZIP_MAX_UNCOMPRESSED_BYTES,
            zip_max_ratio=settings.PSN_HSDS_ZIP_MAX_RATIO,
            zip_max_members=settings.PSN_HSDS_ZIP_MAX_MEMBERS,
        )


class Refused(Exception):
    """Stops reading: the problem applies to the whole file."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _read_bounded(source, *, name: str, limit: int) -> bytes:
    """The whole content, refused before reading it all when it is over the limit."""
    too_big = Problem(
        name,
        None,
        None,
        _("The file is larger than the limit of %(mb)s MB.") % {"mb": megabytes(limit)},
    )
    if isinstance(source, bytes | bytearray | memoryview):
        if len(source) > limit:
            raise Refused(too_big)
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        try:
            if os.path.getsize(source) > limit:
                raise Refused(too_big)
            with open(source, "rb") as handle:
                return _read_bounded(handle, name=name, limit=limit)
        except OSError as exc:
            raise Refused(
                Problem(name, None, None, _("The file cannot be read: %(reason)s") % {"reason": exc.strerror})
            ) from None
    size = getattr(source, "size", None)
    if isinstance(size, int) and size > limit:
        raise Refused(too_big)
    if hasattr(source, "seek"):
        with contextlib.suppress(OSError, ValueError):
            source.seek(0)
    data = source.read(limit + 1)
    if len(data) > limit:
        raise Refused(too_big)
    return data


# --- Text -------------------------------------------------------------------------------------------------

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(data: bytes, *, name: str) -> str:
    """UTF-8 (with or without a BOM), or UTF-16/32 with their BOM. Anything else is refused, naming the line."""
    encoding = next((enc for bom, enc in BOMS if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-8":
            line = data.count(b"\n", 0, exc.start) + 1
            message = _(
                "%(name)s is not valid UTF-8 text (line %(line)s, byte 0x%(byte)02X). Save it as UTF-8 and try again."
            ) % {"name": name, "line": line, "byte": data[exc.start]}
        else:
            message = _("%(name)s is not valid %(encoding)s text.") % {"name": name, "encoding": encoding.upper()}
        raise Refused(Problem(name, None, None, message)) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise Refused(
            Problem(
                name,
                line,
                None,
                _("%(name)s contains NUL bytes (line %(line)s): it is not a text file in UTF-8.")
                % {"name": name, "line": line},
            )
        )
    return text


def _check_zip_directory(infos: list[zipfile.ZipInfo], *, name: str, limits: Limits) -> list[zipfile.ZipInfo]:
    """The zip's files, refused from what its directory declares (before anything is inflated): too many, an
    unsafe name, encrypted, more than the limit in all, or compressed suspiciously well (a zip bomb)."""
    files = [info for info in infos if not info.is_dir()]
    if len(files) > limits.zip_max_members:
        raise Refused(
            Problem(
                name,
                None,
                None,
                _("The zip holds %(count)s files; at most %(max)s are accepted.")
                % {"count": len(files), "max": limits.zip_max_members},
            )
        )
    total = 0
    for info in files:
        _check_member_name(info.filename, name=name)
        if info.flag_bits & 0x1:
            raise Refused(
                Problem(
                    name,
                    None,
                    None,
                    _("%(member)s is encrypted; encrypted zips are not accepted.") % {"member": info.filename},
                )
            )
        total += info.file_size
        if total > limits.zip_max_uncompressed:
            raise Refused(
                Problem(
                    name,
                    None,
                    None,
                    _("The zip unpacks to more than %(mb)s MB; it is refused.")
                    % {"mb": megabytes(limits.zip_max_uncompressed)},
                )
            )
        if info.file_size > 1024 * 1024 and info.file_size > limits.zip_max_ratio * max(info.compress_size, 1):
            raise Refused(
                Problem(
                    name,
                    None,
                    None,
                    _("%(member)s is compressed more than %(ratio)s to 1 (a zip bomb?); the zip is refused.")
                    % {"member": info.filename, "ratio": limits.zip_max_ratio},
                )
            )
    return files


def _check_member_name(member: str, *, name: str) -> None:
    path = PurePosixPath(member.replace("\\", "/"))
    if member.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", member) or ".." in path.parts or "\x00" in member:
        raise Refused(
            Problem(
                name,
                None,
                None,
                _("The zip holds a file with an unsafe name (“%(member)s”); it is refused.") % {"member": member[:200]},
            )
        )


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, name: str, budget: int) -> bytes:
    """Inflate one member in memory, never more than it declared nor than what is left of the budget."""
    limit = min(info.file_size, budget)
    try:
        with archive.open(info) as handle:
            content = handle.read(limit + 1)
    # A damaged member (BadZipFile, CRC or EOF errors), an encrypted one (RuntimeError) or an unsupported
    # compression method (NotImplementedError): each becomes a line of the report naming the file.
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise Refused(
            Problem(
                name,
                None,
                None,
                _("%(member)s cannot be read from the zip (%(reason)s).")
                % {"member": info.filename, "reason": str(exc)[:200]},
            )
        ) from None
    except Exception as exc:  # zlib.error and friends: a damaged stream must not escape
        raise Refused(
            Problem(
                name,
                None,
                None,
                _("%(member)s cannot be read from the zip (%(reason)s).")
                % {"member": info.filename, "reason": type(exc).__name__},
            )
        ) from None
    if len(content) > limit:
        raise Refused(
            Problem(
                name,
                None,
                None,
                _("%(member)s unpacks to more than it declares; the zip is refused.") % {"member": info.filename},
            )
        )
    return content
