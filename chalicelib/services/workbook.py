"""The history export as an Excel workbook (R-CH-4): a chats sheet with one row per
chat and a messages sheet, each continued on further sheets at Excel's row limit.
openpyxl in write-only mode streams rows to disk, so memory stays flat however
many chats there are. Imported only by the export worker.

It opens readable (R-XLS-2) in the reader's language and the service's time zone
(R-TZ-1, R-I18N-2): headers and our own codes translated (workbook_text), times as
real Excel dates in the zone that each time column's header names, the header row
frozen and filtered, long texts wrapped, landscape pages fitted across with the
header repeated. A streamed sheet takes its column widths before its first row, so
they come from the header and the first SAMPLE_ROWS rows, held back until then.
Text that looks like a formula is a string with Excel's quote prefix, so editing
the cell keeps it text."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Iterable
from copy import copy
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import DEFAULT_FONT, Alignment, Border, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties

from chalicelib import clock
from chalicelib.services.workbook_text import WORDINGS, Wording

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL_CHARS = 32_767
UTC = ZoneInfo("UTC")

# Column widths, in Excel's unit (the width of a digit). A value's width is its
# longest line, East Asian wide characters counted twice; the header gets room for
# its bold face and the filter button, and a time column's header wraps its zone
# onto a second line rather than widen the column. Dates are as wide as their
# format, whether or not the sampled rows had one, so they never show "###".
SAMPLE_ROWS = 300
MIN_WIDTH = 8
MAX_WIDTH = 60
LONG_TEXT_MIN_WIDTH = 30  # a wrapped column narrower than this makes rows too tall
VALUE_PADDING = 2
HEADER_PADDING = 4
HEADER_TWO_LINES = 30  # points: the header row's height when a header wraps

# Printing: landscape, narrow margins, the header row and the chat ID column on every
# page. A landscape page holds about 150 width units at full size: a sheet is fitted
# to as many pages across as keep it near 60% or more (the messages' eight columns one
# page wide, the chats' twenty-two two), rather than shrunk unreadable onto one, and
# runs as many pages down as it takes.
PRINT_WIDTH_PER_PAGE = 250

# Typed into a cell, these start a formula. Their full-width forms (what Japanese
# input gives) are included: Japanese Excel may convert them as it takes the entry.
FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")


@dataclass(frozen=True)
class Column:
    key: str  # names its header in workbook_text
    read: Callable[[dict[str, Any]], Any]  # from API.md's chat or message object
    kind: str = "text"  # text | long (wraps) | date | number
    coded: bool = False  # a code of ours, shown in the reader's words


CHAT_COLUMNS: list[Column] = [
    Column("chat_id", lambda c: c["chat_id"]),
    Column("created", lambda c: c["created_at"], "date"),
    Column("status", lambda c: "processed" if c["processed"] else "unprocessed", coded=True),
    Column("state", lambda c: c["status"], coded=True),
    Column("operator", lambda c: c.get("operator_name")),
    Column("operator_id", lambda c: c.get("operator_id")),
    Column("customer_name", lambda c: c["customer"].get("name")),
    Column("customer_email", lambda c: c["customer"].get("email")),
    Column("verified", lambda c: "yes" if c["customer"].get("verified") else "no", coded=True),
    Column("notes", lambda c: c["customer"].get("notes"), "long"),
    Column("ip", lambda c: c["customer"].get("ip")),
    Column("device", lambda c: c["customer"].get("device")),
    Column("channel", lambda c: c["inquiry"].get("channel"), coded=True),
    Column("category", lambda c: " > ".join(c["inquiry"].get("category_path") or []), "long"),
    Column("rating", lambda c: (c.get("rating") or {}).get("score"), "number"),
    Column("rating_comment", lambda c: (c.get("rating") or {}).get("comment"), "long"),
    Column("assigned", lambda c: c.get("assigned_at"), "date"),
    Column("opened", lambda c: c.get("opened_at"), "date"),
    Column("first_response", lambda c: c.get("first_response_at"), "date"),
    Column("customer_left", lambda c: c.get("customer_left_at"), "date"),
    Column("ended", lambda c: c.get("ended_at"), "date"),
    Column("message_count", lambda c: c.get("last_seq"), "number"),
]

MESSAGE_COLUMNS: list[Column] = [
    Column("chat_id", lambda m: m["chat_id"]),
    Column("seq", lambda m: m["seq"], "number"),
    Column("time", lambda m: m["created_at"], "date"),
    Column("sender", lambda m: m["sender"]["role"], coded=True),
    Column("sender_name", lambda m: m["sender"].get("name")),
    Column("text", lambda m: m["text"], "long"),
    # A message, or an internal note (R-NOTE-1), which has no seq.
    Column("kind", lambda m: m.get("kind", "message"), coded=True),
    # A file sent with the message (R-ATT-1): its name and type.
    Column("attachment", lambda m: (m.get("attachment") or {}).get("filename")),
    Column("attachment_type", lambda m: (m.get("attachment") or {}).get("content_type")),
]


def excel_date(value: str | None, zone: ZoneInfo = UTC) -> datetime | None:
    """Excel has no time zones: a time is written as the zone's wall-clock time,
    and the column's header names the zone."""
    if not value:
        return None
    return clock.parse_iso(value).astimezone(zone).replace(tzinfo=None)


def safe_text(value: Any) -> str | None:
    if value is None:
        return None
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return text[:EXCEL_MAX_CELL_CHARS]


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def display_width(text: str) -> int:
    """Columns a line takes: East Asian wide and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def value_width(value: Any, date_chars: int) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return date_chars
    if isinstance(value, str):
        # Past MAX_WIDTH the column is capped anyway: measure no further.
        return max(display_width(line[:MAX_WIDTH]) for line in value.split("\n"))
    return len(str(value))


def header_width(header: str) -> int:
    """A header's widest line: "Created (Asia/Tokyo)" may wrap before its zone."""
    return max(display_width(line) for line in header.replace(" (", "\n(").split("\n"))


def column_widths(
    columns: list[Column], headers: list[str], sample: list[list[Any]], date_chars: int
) -> list[int]:
    """Each column's width from its header and the sampled rows' values, bounded."""
    widths = []
    for index, (column, header) in enumerate(zip(columns, headers, strict=True)):
        widest = max((value_width(row[index], date_chars) for row in sample), default=0)
        width = max(header_width(header) + HEADER_PADDING, widest + VALUE_PADDING)
        floor = MIN_WIDTH
        if column.kind == "date":
            floor = date_chars + VALUE_PADDING
        elif column.kind == "long":
            floor = LONG_TEXT_MIN_WIDTH
        widths.append(min(max(width, floor), MAX_WIDTH))
    return widths


def pages_across(widths: list[int]) -> int:
    return max(1, math.ceil(sum(widths) / PRINT_WIDTH_PER_PAGE))


class _Styles:
    """Named styles, registered once per workbook: a cell takes its style's array
    when it is made, so a million cells share a handful of styles and cost no
    per-cell style lookup."""

    def __init__(self, book: Workbook, date_format: str) -> None:
        # A named style's own font would be empty (no face, no size): every style
        # takes the workbook's default font, which sets the unit of column widths.
        bold = copy(DEFAULT_FONT)
        bold.bold = True
        top = Alignment(vertical="top")
        header = NamedStyle(
            name="Export header",
            font=bold,
            fill=PatternFill("solid", fgColor="F2F2F2"),
            border=Border(bottom=Side(style="thin", color="808080")),
            alignment=Alignment(vertical="center", wrap_text=True),
        )
        kinds = {
            "text": NamedStyle(name="Export text", font=DEFAULT_FONT, alignment=top),
            "long": NamedStyle(name="Export long text", font=DEFAULT_FONT,
                               alignment=Alignment(vertical="top", wrap_text=True)),
            "date": NamedStyle(name="Export date", font=DEFAULT_FONT,
                               number_format=date_format, alignment=top),
            "number": NamedStyle(name="Export number", font=DEFAULT_FONT, alignment=top),
        }
        for style in (header, *kinds.values()):
            book.add_named_style(style)
        self.header = header.as_tuple()
        self.of_kind = {kind: style.as_tuple() for kind, style in kinds.items()}


class _Sheet:
    """A logical sheet that continues on "Name (2)", "Name (3)"… when full."""

    def __init__(self, book: Workbook, title: str, columns: list[Column], headers: list[str],
                 wording: Wording, zone: ZoneInfo, styles: _Styles) -> None:
        self.book = book
        self.title = title
        self.columns = columns
        self.headers = headers
        self.wording = wording
        self.zone = zone
        self.styles = styles
        self.parts: list[Any] = []
        self.rows_in_part = 0
        self.sheet: Any = None
        self.widths: list[int] = []
        self.sample: list[list[Any]] | None = []  # rows held back until widths are set

    def append(self, record: dict[str, Any]) -> None:
        row = [self._value(column, column.read(record)) for column in self.columns]
        if self.sample is None:
            self._write(row)
            return
        self.sample.append(row)
        if len(self.sample) >= SAMPLE_ROWS:
            self._release_sample()

    def finish(self) -> list[Any]:
        """Write what is held back and close the last part's filter; the parts in order."""
        self._release_sample()
        if not self.parts:
            self._next_part()
        self._filter_part()
        return self.parts

    def _release_sample(self) -> None:
        if self.sample is None:
            return
        date_chars = len(self.wording.date_format)
        self.widths = column_widths(self.columns, self.headers, self.sample, date_chars)
        sample, self.sample = self.sample, None
        for row in sample:
            self._write(row)

    def _value(self, column: Column, value: Any) -> Any:
        if value is None:
            return None
        if column.kind == "date":
            return excel_date(value, self.zone)
        if column.kind == "number":
            return value
        if column.coded:
            value = self.wording.values.get(column.key, {}).get(value, value)
        return safe_text(value)

    def _write(self, row: list[Any]) -> None:
        if not self.parts or self.rows_in_part >= EXCEL_MAX_ROWS:
            self._next_part()
        self.sheet.append([self._cell(value, column.kind)
                           for value, column in zip(row, self.columns, strict=True)])
        self.rows_in_part += 1

    def _next_part(self) -> None:
        if self.parts:
            self._filter_part()
        number = len(self.parts) + 1
        title = self.title if number == 1 else f"{self.title} ({number})"
        sheet = self.book.create_sheet(title)
        # A streamed sheet writes its view, columns and page properties before its
        # first row: all of it is set here, before the header.
        for index, width in enumerate(self.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        self._print_setup(sheet)
        # Readers that do not fit row heights on opening (LibreOffice) would cut a
        # wrapped header to its first line.
        if any(display_width(header) + HEADER_PADDING > width
               for header, width in zip(self.headers, self.widths, strict=True)):
            sheet.row_dimensions[1].height = HEADER_TWO_LINES
        sheet.append([self._header_cell(sheet, header) for header in self.headers])
        self.parts.append(sheet)
        self.sheet = sheet
        self.rows_in_part = 1

    def _print_setup(self, sheet: Any) -> None:
        sheet.print_title_rows = "1:1"
        sheet.print_title_cols = "A:A"
        sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth = pages_across(self.widths)
        sheet.page_setup.fitToHeight = 0
        if self.wording.paper_size:
            sheet.page_setup.paperSize = self.wording.paper_size
        sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6,
                                         header=0.3, footer=0.3)
        sheet.oddFooter.center.text = "&A  &P / &N"  # sheet, page / pages

    def _filter_part(self) -> None:
        last = get_column_letter(len(self.columns))
        self.sheet.auto_filter.ref = f"A1:{last}{self.rows_in_part}"

    def _header_cell(self, sheet: Any, header: str) -> Cell:
        cell = Cell(sheet, 1, 1, value=header, style_array=self.styles.header)
        cell.data_type = "s"
        return cell

    def _cell(self, value: Any, kind: str) -> Any:
        if value is None:
            return None
        cell = Cell(self.sheet, 1, 1, value=value, style_array=self.styles.of_kind[kind])
        if isinstance(value, str):
            # Always a string: "=HYPERLINK(…)" or "+1" never becomes a formula, and
            # the quote prefix keeps it text when someone edits the cell.
            cell.data_type = "s"
            if looks_like_formula(value):
                cell.quotePrefix = True
        return cell


def write_workbook(
    target: str | IO[bytes],
    chats: Iterable[dict[str, Any]],
    messages_of: Callable[[dict[str, Any]], Iterable[dict[str, Any]]],
    on_progress: Callable[[int], None] | None = None,
    progress_every: int = 500,
    *,
    zone: ZoneInfo = UTC,
    language: str = "en",
) -> int:
    """Write every chat (and its messages) to `target`, times in `zone` and words in
    `language` ("ja", "en" or "ko"); returns the chat count."""
    wording = WORDINGS.get(language)
    if wording is None:
        raise ValueError(f"no export wording for language {language!r}")
    book = Workbook(write_only=True)
    styles = _Styles(book, wording.date_format)

    def sheet(name: str, columns: list[Column]) -> _Sheet:
        headers = [_header(wording, column, zone) for column in columns]
        return _Sheet(book, wording.sheets[name], columns, headers, wording, zone, styles)

    chats_sheet = sheet("chats", CHAT_COLUMNS)
    messages_sheet = sheet("messages", MESSAGE_COLUMNS)
    count = 0
    for chat in chats:
        chats_sheet.append(chat)
        for message in messages_of(chat):
            messages_sheet.append(message)
        count += 1
        if on_progress and count % progress_every == 0:
            on_progress(count)
    _order_sheets(book, [*chats_sheet.finish(), *messages_sheet.finish()])
    book.save(target)
    if on_progress:
        on_progress(count)
    return count


def _header(wording: Wording, column: Column, zone: ZoneInfo) -> str:
    header = wording.headers[column.key]
    return f"{header} ({zone.key or zone})" if column.kind == "date" else header


def _order_sheets(book: Workbook, order: list[Any]) -> None:
    """Chats, Chats (2)…, then Messages, Messages (2)…, whatever order they filled in."""
    for index, sheet in enumerate(order):
        book.move_sheet(sheet.title, index - book.worksheets.index(sheet))
