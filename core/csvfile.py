"""Reading a CSV file so that every error names the line that has it.

Python's csv module reports `line_num`, the physical line where it stopped
reading: after an unclosed quote that is wherever the quoted field happened
to end (a later quote, or the end of the file), often hundreds of lines
after the line with the stray quote (issue 13, defect 11: "the import
reports an unclosed quote 274 lines after the line that has it").
`csv_records` instead tracks the line where each record *began*. A record
spans several physical lines only when a line break sits inside a quoted
field, and the first such break is at the end of the record's first line:
so the quote that opened it is on that first line, and that is the line an
error names.

No Django here: the catalog import (shop/importing.py) and the generic
interactions loader (recommend/evaluation/io.py) both use it.
"""

from __future__ import annotations

import csv
import gc
import io
from dataclasses import dataclass


class CsvFormatError(ValueError):
    """A file that is not the CSV it should be; `line` is the 1-based line
    that has the problem (the header is line 1)."""

    def __init__(self, message: str, *, line: int):
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class CsvTable:
    header: list[str]
    rows: list[list[str]]
    lines: list[int]  # the line where each row begins


def text_decode(raw: bytes) -> str:
    """UTF-8 (a leading byte-order mark dropped); CsvFormatError naming the
    line of the first byte that is not UTF-8."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CsvFormatError(f"line {line} is not valid UTF-8 (byte {raw[exc.start]:#04x})", line=line) from exc


def csv_table(
    text: str,
    *,
    multiline: bool = True,
    skipinitialspace: bool = False,
    skip_blank_lines: bool = False,
) -> CsvTable:
    """The header and rows of `text`, each row with as many fields as the
    header, with the line each row begins on.

    Raises CsvFormatError naming a line for: an empty file; a row with too
    many or too few fields; a quoted field that is never closed (at the line
    where its quote opens); with `multiline=False`, any quoted field that
    runs over a line break (a file whose fields never hold one, such as the
    Online Retail history, has an unclosed quote there); a field over the
    csv module's size limit; a NUL character. Blank lines are a row of no
    fields (an error) unless `skip_blank_lines`."""
    if not text.strip():
        raise CsvFormatError("line 1: the file is empty", line=1)
    nul = text.find("\x00")
    if nul >= 0:
        line = _line_at(text, nul)
        raise CsvFormatError(f"line {line} contains a NUL character", line=line)
    total = _line_at(text, len(text.rstrip("\r\n")))
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=skipinitialspace)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    # half a million small lists: the cyclic collector would run over them again and again (3x slower)
    collecting = gc.isenabled()
    gc.disable()
    try:
        for record in reader:
            end = reader.line_num
            if end > start and not multiline:
                raise CsvFormatError(_unclosed(start, end, total), line=start)
            if header is None:
                header = record
            elif not record and skip_blank_lines:
                pass
            else:
                if len(record) != len(header):
                    if end > start or any("\n" in f or "\r" in f for f in record):  # a field took the line end
                        raise CsvFormatError(_unclosed(start, end, total), line=start)
                    raise CsvFormatError(
                        f"line {start} has {len(record)} field{'s' if len(record) != 1 else ''}, "
                        f"expected {len(header)} (as in the header)",
                        line=start,
                    )
                rows.append(record)
                lines.append(start)
            start = end + 1
    except csv.Error as exc:
        if reader.line_num > start:
            raise CsvFormatError(_unclosed(start, reader.line_num, total), line=start) from exc
        raise CsvFormatError(f"line {start}: {exc}", line=start) from exc
    finally:
        if collecting:
            gc.enable()
    if header is None:
        raise CsvFormatError("line 1: the file is empty", line=1)
    last_start = lines[-1] if lines else 1
    last = rows[-1] if rows else header
    # a quote open at the end of the file: the non-strict reader closes it silently, taking the line end
    if any("\n" in f or "\r" in f for f in last) or not text.endswith(("\n", "\r")):
        tail = io.StringIO(text, newline="").readlines()[last_start - 1 :]
        if _open_quote_at_end(tail, skipinitialspace):
            raise CsvFormatError(_unclosed(last_start, total, total), line=last_start)
    return CsvTable(header=header, rows=rows, lines=lines)


def _unclosed(start: int, end: int, total: int) -> str:
    runs_to = "the end of the file" if end >= total else f"line {end}"
    return (
        f"line {start}: a quoted field opens on this line and is not closed on it "
        f'(the record runs on to {runs_to}): a stray or unclosed quote (")'
    )


def _line_at(text: str, offset: int) -> int:
    """The 1-based physical line of `text[offset]` (line ends: \\n, \\r\\n or \\r)."""
    before = text[:offset]
    return before.count("\n") + before.count("\r") - before.count("\r\n") + 1


def _open_quote_at_end(tail: list[str], skipinitialspace: bool) -> bool:
    """Does the last record end inside a quoted field (the end of the file
    reached with a quote open)? The non-strict reader gives such a field
    back as if closed; a strict one says so."""
    if not tail:
        return False
    try:
        for _ in csv.reader(tail, strict=True, skipinitialspace=skipinitialspace):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False
