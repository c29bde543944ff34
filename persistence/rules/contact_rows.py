"""Reading contact uploads into rows ready to store (pure; no I/O beyond the file given).

An upload is a CSV file or a JSON list of objects. Both become batches of
:data:`Row` tuples ``(row, first_name, last_name, phone, extra_json)`` with the
phone already in E.164; rows that cannot be stored are counted as invalid and
the first :data:`MAX_PROBLEMS` are reported with their row number and reason.
Parsing is incremental (bounded memory whatever the size of the file), and a
problem with the whole upload (not UTF-8, no phone column, wrong JSON shape)
raises :class:`~persistence.rules.errors.InvalidInput` so that nothing is stored.

Row numbers are what a person sees: for a CSV, the line in the file (the
header is line 1); for JSON, the position in the list, counting from 1.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Final, TypeAlias

import phonenumbers

from persistence.rules.errors import InvalidInput
from persistence.rules.phones import normalize_phone
from persistence.rules.text import json_storable, storable

__all__ = [
    "BATCH_SIZE",
    "MAX_EXTRA_CHARS",
    "MAX_NAME_LENGTH",
    "MAX_PROBLEMS",
    "ParseReport",
    "Problem",
    "Row",
    "csv_batches",
    "fast_normalize_phone",
    "json_batches",
]

Row: TypeAlias = tuple[int, str, str, str, str]
MAX_PROBLEMS: Final = 100
BATCH_SIZE: Final = 5000
MAX_NAME_LENGTH: Final = 200
MAX_EXTRA_CHARS: Final = 10_000
_CHUNK: Final = 256 * 1024

# Header spellings the common tools export, mapped to our three columns.
_ALIASES: Final = {
    "firstname": "first_name",
    "first": "first_name",
    "givenname": "first_name",
    "lastname": "last_name",
    "last": "last_name",
    "surname": "last_name",
    "familyname": "last_name",
    "phone": "phone",
    "phonenumber": "phone",
    "cell": "phone",
    "cellphone": "phone",
    "mobile": "phone",
    "mobilenumber": "phone",
}
_NON_ALNUM = re.compile(r"[^a-z0-9]")
# Digits with the punctuation people type between them, and nothing else.
_PLAIN_NANP = re.compile(r"\s*(\+\s*)?[\d\s().\-]{10,20}")
_NON_DIGIT = re.compile(r"\D")


def _us_matcher() -> Callable[[str], bool] | None:
    """A fast equivalent of ``phonenumbers.is_valid_number`` for US numbers.

    phonenumbers decides validity by matching the national number against the
    region's "general" pattern and then each number type's pattern, one regex
    call at a time (most of an upload's CPU). The US comes first among the
    +1 regions, so a number that passes the US patterns is valid; built here
    from phonenumbers' own metadata, so it follows its updates. Numbers that
    fail take the full path (they may be Canadian or Caribbean).
    """
    if phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(1, ("",))[0] != "US":
        return None  # pragma: no cover - a phonenumbers release that reorders +1
    meta = phonenumbers.PhoneMetadata.metadata_for_region("US")
    if meta is None:  # pragma: no cover
        return None

    def usable(desc: Any) -> str | None:
        if desc is None or not desc.national_number_pattern:
            return None
        if desc.possible_length and 10 not in desc.possible_length:
            return None
        return str(desc.national_number_pattern)

    general = usable(meta.general_desc)
    kinds = ["premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan"]
    kinds += ["voicemail", "fixed_line", "mobile"]
    patterns = [p for p in (usable(getattr(meta, k, None)) for k in kinds) if p]
    if general is None or not patterns:  # pragma: no cover
        return None
    general_re = re.compile(f"(?:{general})")
    any_type_re = re.compile("|".join(f"(?:{p})" for p in patterns))

    def matches(national: str) -> bool:
        return bool(general_re.fullmatch(national) and any_type_re.fullmatch(national))

    return matches


_us_valid = _us_matcher()


@dataclass(frozen=True, slots=True)
class Problem:
    row: int
    reason: str


@dataclass
class ParseReport:
    """What parsing rejected: a count, and the first few rows with reasons."""

    invalid: int = 0
    problems: list[Problem] = field(default_factory=list)

    def reject(self, row: int, reason: str) -> None:
        self.invalid += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(row, reason))


def fast_normalize_phone(raw: str) -> str | None:
    """:func:`persistence.rules.phones.normalize_phone` with a fast path for North American numbers.

    Numbers like ``(212) 555-0123``, ``212.555.0123``, ``1 212 555 0123`` or
    ``+12125550123`` skip ``phonenumbers.parse`` and go straight to its
    validity check (the slow part of an upload); anything else takes the
    general path. Both give the same answer (a property test holds them to it).
    """
    if _PLAIN_NANP.fullmatch(raw):
        digits = _NON_DIGIT.sub("", raw)
        plus = "+" in raw
        if len(digits) == 11 and digits[0] == "1":
            national = digits[1:]
        elif len(digits) == 10 and not plus:
            national = digits
        else:
            national = ""
        if national and national[0] in "23456789":
            if _us_valid is not None and _us_valid(national):
                return "+1" + national
            number = phonenumbers.PhoneNumber(country_code=1, national_number=int(national))
            return "+1" + national if phonenumbers.is_valid_number(number) else None
    return normalize_phone(raw)


class _RowMaker:
    """Turns one contact's fields into a :data:`Row`, or a rejection."""

    def __init__(self, report: ParseReport) -> None:
        self.report = report

    def make(self, row: int, first: str, last: str, phone: str, extra: dict[str, Any]) -> Row | None:
        first, last = first.strip(), last.strip()
        if not phone.strip():
            self.report.reject(row, "no phone number")
            return None
        normalized = fast_normalize_phone(phone)
        if normalized is None:
            self.report.reject(row, f"invalid phone number {phone.strip()[:40]!r}")
            return None
        if len(first) > MAX_NAME_LENGTH or len(last) > MAX_NAME_LENGTH:
            self.report.reject(row, f"a name is longer than {MAX_NAME_LENGTH} characters")
            return None
        extra_json = json.dumps(extra, ensure_ascii=False, separators=(",", ":")) if extra else "{}"
        if len(extra_json) > MAX_EXTRA_CHARS:
            self.report.reject(row, f"the extra fields take more than {MAX_EXTRA_CHARS} characters")
            return None
        if not (storable(first, last) and json_storable(extra_json)):
            self.report.reject(row, "text that cannot be stored (a NUL character or broken Unicode)")
            return None
        return (row, first, last, normalized, extra_json)


# -- CSV ---------------------------------------------------------------------------------------


def _decoded_lines(stream: IO[bytes]) -> Iterator[str]:
    """The file's text, line by line (line ends kept), decoded strictly.

    UTF-8 (with or without a byte-order mark) and UTF-16 with a byte-order mark
    (Excel's "Unicode text") are read; anything else is refused rather than
    guessed, so that no name is stored garbled.
    """
    head = stream.read(_CHUNK)
    encoding = "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    line_no = 1
    pending = ""
    chunk = head
    while True:
        final = not chunk
        try:
            text = decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            line_no += (pending + exc.object[: exc.start].decode(encoding, "replace")).count("\n")
            raise InvalidInput(
                f"The file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} on line {line_no}). "
                "Save it as 'CSV UTF-8' and upload it again.",
                code="invalid_encoding",
            ) from None
        text = pending + text
        lines = text.split("\n")
        pending = lines.pop()
        for line in lines:
            line_no += 1
            yield line + "\n"
        if final:
            break
        chunk = stream.read(_CHUNK)
    if pending:
        yield pending


def _header(names: Sequence[str]) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """Map our columns to their index; the other named columns become extra fields."""
    ours: dict[str, int] = {}
    extras: list[tuple[int, str]] = []
    for index, name in enumerate(names):
        label = name.strip()
        column = _ALIASES.get(_NON_ALNUM.sub("", label.lower()))
        if column is None:
            if label:
                extras.append((index, label[:100]))
            continue
        if column in ours:
            raise InvalidInput(
                f"The file has two {column} columns ({names[ours[column]]!r} and {label!r}); keep one.",
                code="invalid_columns",
            )
        ours[column] = index
    if "phone" not in ours:
        shown = ", ".join(repr(n.strip()) for n in names[:10]) or "none"
        raise InvalidInput(
            f"The file has no phone column (columns found: {shown}). "
            "The first line must name the columns: first_name, last_name, phone.",
            code="missing_columns",
        )
    return ours, extras


def csv_batches(
    stream: IO[bytes], report: ParseReport, *, batch_size: int = BATCH_SIZE
) -> Iterator[list[Row]]:
    """Read a CSV upload (header line first) into batches of rows.

    Raises:
        InvalidInput: not UTF-8/UTF-16, not CSV, or no phone column (while iterating).
    """
    # strict: an unclosed quote would otherwise swallow the rest of the file into one field.
    reader = csv.reader(_decoded_lines(stream), strict=True)
    maker = _RowMaker(report)
    try:
        names = next(reader, None)
        if names is None:
            raise InvalidInput("The file is empty; it needs a header line and contacts.", code="empty_upload")
        ours, extras = _header(names)
        first_i, last_i, phone_i = ours.get("first_name"), ours.get("last_name"), ours["phone"]
        width = len(names)
        batch: list[Row] = []
        for fields in reader:
            row = reader.line_num
            if not any(f.strip() for f in fields):
                continue  # blank lines, e.g. at the end of the file
            if len(fields) > width:
                report.reject(row, f"{len(fields)} fields where the header has {width}")
                continue
            if len(fields) < width:
                fields += [""] * (width - len(fields))
            extra = {label: fields[i] for i, label in extras if fields[i] != ""}
            made = maker.make(
                row,
                fields[first_i] if first_i is not None else "",
                fields[last_i] if last_i is not None else "",
                fields[phone_i],
                extra,
            )
            if made is not None:
                batch.append(made)
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
        if batch:
            yield batch
    except csv.Error as exc:
        raise InvalidInput(
            f"The file is not valid CSV (line {reader.line_num}): {exc}.", code="invalid_csv"
        ) from None


# -- JSON --------------------------------------------------------------------------------------


def _text(item: dict[str, Any], key: str, index: int, *, numbers: bool = False) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise InvalidInput(
        f"Contact {index} (item {index - 1} of the list): '{key}' must be a string.", code="invalid_input"
    )


def json_batches(items: Any, report: ParseReport, *, batch_size: int = BATCH_SIZE) -> Iterator[list[Row]]:
    """Read a JSON upload: a list of ``{"first_name", "last_name", "phone", ...extra}``.

    Raises:
        InvalidInput: not a list, an item that is not an object, or a name or
            phone of the wrong type (while iterating; nothing is stored).
    """
    if not isinstance(items, list):
        raise InvalidInput(
            'Send a JSON list of contacts: [{"first_name", "last_name", "phone", ...}].',
            code="invalid_input",
        )
    maker = _RowMaker(report)
    batch: list[Row] = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InvalidInput(
                f"Contact {position} (item {position - 1} of the list) must be an object "
                'with "first_name", "last_name" and "phone".',
                code="invalid_input",
            )
        first = _text(item, "first_name", position)
        last = _text(item, "last_name", position)
        phone = _text(item, "phone", position, numbers=True)
        extra = {k: v for k, v in item.items() if k not in ("first_name", "last_name", "phone")}
        made = maker.make(position, first, last, phone, extra)
        if made is not None:
            batch.append(made)
            if len(batch) >= batch_size:
                yield batch
                batch = []
    if batch:
        yield batch
