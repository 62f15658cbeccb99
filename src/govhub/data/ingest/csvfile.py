"""CSV in any common encoding and delimiter, streamed by pyarrow's CSV reader.

The encoding (UTF-8 with or without BOM, UTF-16 with BOM, GB18030, a superset of GBK) and
the delimiter (comma, tab, semicolon, pipe) come from the first 64 KiB. The types come from
the first block; a later value that does not fit is reported with its column and, found by a
second pass over the file that only runs on failure, its line.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from govhub.data.ingest.errors import BadFile

HEAD_BYTES = 64 * 1024
DELIMITERS = ",\t;|"
_CONVERSION = re.compile(
    r"column #(\d+): .*?conversion error to ([\w\[\], ]+): invalid value '(.*)'"
)


@dataclass
class CsvDialect:
    """What the head of the file says about it."""

    encoding: str
    delimiter: str
    columns: list[str]
    warnings: list[str] = field(default_factory=list)


def detect_encoding(head: bytes) -> str:
    """Return the encoding of a file from its first bytes, or raise `BadFile`."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    raise BadFile(
        "encoding", "the file is neither UTF-8 nor GBK/GB18030 text; save it as UTF-8", line=1
    )


def sniff_delimiter(text: str) -> str:
    """Return the delimiter of CSV text: the sniffer's pick, else the commonest in line one."""
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = text.splitlines()[0] if text else ""
        return max(DELIMITERS, key=first.count)


def _column_names(header: list[str]) -> tuple[list[str], list[str]]:
    names: list[str] = []
    warnings: list[str] = []
    for index, raw in enumerate(header, start=1):
        name = raw.strip() or f"column_{index}"
        if not raw.strip():
            warnings.append(f"column {index} has no name; named it {name!r}")
        base, n = name, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        if name != base:
            warnings.append(f"duplicate column {base!r} renamed {name!r}")
        names.append(name)
    return names, warnings


def read_dialect(path: Path) -> CsvDialect:
    """Detect the encoding, delimiter and column names of a CSV file."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    encoding = detect_encoding(head)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    if not text.strip():
        raise BadFile("empty", "the file is empty")
    delimiter = sniff_delimiter(text)
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    names, warnings = _column_names(header)
    return CsvDialect(encoding=encoding, delimiter=delimiter, columns=names, warnings=warnings)


class _Counting(io.RawIOBase):
    """A binary reader that reports how many bytes were read."""

    def __init__(self, handle: io.BufferedReader, progress: Callable[[int], None] | None) -> None:
        self._handle = handle
        self._progress = progress

    def readable(self) -> bool:
        """Tell that the stream can be read."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill `buffer` from the file and report the bytes read."""
        n = self._handle.readinto(buffer)
        if n and self._progress is not None:
            self._progress(n)
        return n


def _find_line(path: Path, dialect: CsvDialect, test: Callable[[list[str]], bool]) -> int | None:
    """Return the first physical line whose record passes `test` (a second, slow pass)."""
    with path.open(encoding=dialect.encoding, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=dialect.delimiter)
        next(reader, None)
        for record in reader:
            if record and test(record):
                return reader.line_num
    return None


def _is_utf8_problem(error: Exception) -> bool:
    return isinstance(error, UnicodeDecodeError) or "UTF8" in str(error)


def read_csv(
    path: Path,
    *,
    block_bytes: int,
    progress: Callable[[int], None] | None = None,
    warnings: list[str] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Yield the record batches of a CSV file, each checked against the first one's schema."""
    dialect = read_dialect(path)
    if warnings is not None:
        warnings.extend(dialect.warnings)
        warnings.append(f"read as {dialect.encoding} text delimited by {dialect.delimiter!r}")
    width = len(dialect.columns)
    ragged: list[int] = []

    def on_invalid(row: Any) -> str:
        ragged.append(row.actual_columns)
        return "error"

    encoding = "utf8" if dialect.encoding in ("utf-8", "utf-8-sig") else dialect.encoding
    read_options = pacsv.ReadOptions(
        column_names=dialect.columns, skip_rows=1, block_size=block_bytes, encoding=encoding
    )
    parse_options = pacsv.ParseOptions(
        delimiter=dialect.delimiter, newlines_in_values=True, invalid_row_handler=on_invalid
    )
    try:
        empty = _empty_columns(path, read_options, parse_options)
        if empty and warnings is not None:
            warnings.append(f"columns empty in the first block read as text: {empty}")
        convert_options = pacsv.ConvertOptions(
            strings_can_be_null=True, column_types=dict.fromkeys(empty, pa.string())
        )
        with path.open("rb") as raw:
            stream = io.BufferedReader(_Counting(raw, progress), buffer_size=1 << 16)
            reader = pacsv.open_csv(
                stream,
                read_options=read_options,
                parse_options=parse_options,
                convert_options=convert_options,
            )
            for batch in reader:
                _check_text(batch, path, dialect)
                yield batch
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        raise _explain(error, path, dialect, width, ragged) from error


def _empty_columns(
    path: Path, read_options: pacsv.ReadOptions, parse_options: pacsv.ParseOptions
) -> list[str]:
    """Return the columns with no value in the first block (their type is still unknown)."""
    with path.open("rb") as raw:
        probe = pacsv.open_csv(
            raw,
            read_options=read_options,
            parse_options=parse_options,
            convert_options=pacsv.ConvertOptions(strings_can_be_null=True),
        )
        return [f.name for f in probe.schema if pa.types.is_null(f.type)]


def _check_text(batch: pa.RecordBatch, path: Path, dialect: CsvDialect) -> None:
    """Reject invalid UTF-8 in text columns (pyarrow's streaming reader passes it through)."""
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        if pa.types.is_string(column.type):
            try:
                column.validate(full=True)
            except pa.ArrowInvalid:
                raise BadFile(
                    "encoding",
                    "the file is not valid UTF-8 past its beginning; save it as UTF-8",
                    line=_find_line(path, dialect, lambda r: any("\ufffd" in v for v in r)),
                    column=name,
                ) from None


def _explain(
    error: Exception, path: Path, dialect: CsvDialect, width: int, ragged: list[int]
) -> BadFile:
    """Turn a pyarrow or codec error into a report naming the line and column."""
    if ragged:
        line = _find_line(path, dialect, lambda r: len(r) != width)
        return BadFile(
            "ragged",
            f"a row has {ragged[0]} fields where the header has {width}",
            line=line,
        )
    if _is_utf8_problem(error):
        return BadFile(
            "encoding",
            f"the file is not valid {dialect.encoding} text past its beginning; save it as UTF-8",
            line=_find_line(path, dialect, lambda r: any("\ufffd" in v for v in r)),
        )
    match = _CONVERSION.search(str(error))
    if match:
        index, type_name, value = int(match[1]), match[2], match[3]
        column = dialect.columns[index] if index < width else None
        line = _find_line(path, dialect, lambda r: index < len(r) and r[index] == value)
        return BadFile(
            "type_changed",
            f"column {column!r} held {type_name} values, then {value[:40]!r}",
            line=line,
            column=column,
        )
    if "Empty CSV" in str(error):
        return BadFile("empty", "the file is empty")
    return BadFile("malformed", f"the CSV file cannot be read: {str(error)[:200]}")
