"""The history export as an Excel workbook (R-CH-4): a "Chats" sheet with one row
per chat and a "Messages" sheet, each continued on further sheets at Excel's row
limit. openpyxl in write-only mode streams rows to disk, so memory stays flat
however many chats there are. Imported only by the export worker."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from chalicelib import clock

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL_CHARS = 32_767
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"

# (header, how to read the value from API.md's chat object, kind)
CHAT_COLUMNS: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    ("Chat ID", lambda c: c["chat_id"], "text"),
    ("Created", lambda c: c["created_at"], "date"),
    ("Status", lambda c: "processed" if c["processed"] else "unprocessed", "text"),
    ("Chat state", lambda c: c["status"], "text"),
    ("Operator", lambda c: c.get("operator_name"), "text"),
    ("Operator ID", lambda c: c.get("operator_id"), "text"),
    ("Customer name", lambda c: c["customer"].get("name"), "text"),
    ("Customer email", lambda c: c["customer"].get("email"), "text"),
    ("Verified", lambda c: "yes" if c["customer"].get("verified") else "no", "text"),
    ("Notes", lambda c: c["customer"].get("notes"), "text"),
    ("IP address", lambda c: c["customer"].get("ip"), "text"),
    ("Device", lambda c: c["customer"].get("device"), "text"),
    ("Channel", lambda c: c["inquiry"].get("channel"), "text"),
    ("Category", lambda c: " > ".join(c["inquiry"].get("category_path") or []), "text"),
    ("Rating", lambda c: (c.get("rating") or {}).get("score"), "number"),
    ("Rating comment", lambda c: (c.get("rating") or {}).get("comment"), "text"),
    ("Assigned", lambda c: c.get("assigned_at"), "date"),
    ("Opened", lambda c: c.get("opened_at"), "date"),
    ("First response", lambda c: c.get("first_response_at"), "date"),
    ("Customer left", lambda c: c.get("customer_left_at"), "date"),
    ("Ended", lambda c: c.get("ended_at"), "date"),
    ("Messages", lambda c: c.get("last_seq"), "number"),
]

MESSAGE_COLUMNS: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    ("Chat ID", lambda m: m["chat_id"], "text"),
    ("Seq", lambda m: m["seq"], "number"),
    ("Time", lambda m: m["created_at"], "date"),
    ("Sender", lambda m: m["sender"]["role"], "text"),
    ("Sender name", lambda m: m["sender"].get("name"), "text"),
    ("Text", lambda m: m["text"], "text"),
]


def excel_date(value: str | None) -> datetime | None:
    """Excel has no time zones: times are written as naive UTC."""
    if not value:
        return None
    return clock.parse_iso(value).replace(tzinfo=None)


def safe_text(value: Any) -> str | None:
    if value is None:
        return None
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return text[:EXCEL_MAX_CELL_CHARS]


class _Sheet:
    """A logical sheet that continues on "Name (2)", "Name (3)"… when full."""

    def __init__(self, book: Workbook, title: str, columns: list[Any]) -> None:
        self.book = book
        self.title = title
        self.columns = columns
        self.part = 0
        self.rows_in_part = EXCEL_MAX_ROWS  # forces a first part on the first row
        self.sheet: Any = None

    def _next_part(self) -> None:
        self.part += 1
        title = self.title if self.part == 1 else f"{self.title} ({self.part})"
        self.sheet = self.book.create_sheet(title)
        header = []
        for name, _, _ in self.columns:
            cell = WriteOnlyCell(self.sheet, value=name)
            cell.font = Font(bold=True)
            header.append(cell)
        self.sheet.append(header)
        self.rows_in_part = 1

    def append(self, record: dict[str, Any]) -> None:
        if self.rows_in_part >= EXCEL_MAX_ROWS:
            self._next_part()
        self.sheet.append([self._cell(read(record), kind) for _, read, kind in self.columns])
        self.rows_in_part += 1

    def _cell(self, value: Any, kind: str) -> Any:
        if value is None:
            return None
        if kind == "date":
            cell = WriteOnlyCell(self.sheet, value=excel_date(value))
            cell.number_format = DATE_FORMAT
            return cell
        if kind == "number":
            return value
        cell = WriteOnlyCell(self.sheet, value=safe_text(value))
        # Always a string: text such as "=HYPERLINK(…)" or "+1" never becomes a formula.
        cell.data_type = "s"
        return cell


def _order_sheets(book: Workbook, titles: list[str]) -> None:
    """Chats, Chats (2)…, then Messages, Messages (2)…, whatever order they filled in."""

    def rank(sheet: Any) -> tuple[int, str]:
        base = sheet.title.split(" (")[0]
        return titles.index(base), f"{len(sheet.title):04d}{sheet.title}"

    for index, sheet in enumerate(sorted(book.worksheets, key=rank)):
        book.move_sheet(sheet.title, index - book.worksheets.index(sheet))


def write_workbook(
    target: str | IO[bytes],
    chats: Iterable[dict[str, Any]],
    messages_of: Callable[[dict[str, Any]], Iterable[dict[str, Any]]],
    on_progress: Callable[[int], None] | None = None,
    progress_every: int = 500,
) -> int:
    """Write every chat (and its messages) to `target`; returns the chat count."""
    book = Workbook(write_only=True)
    chats_sheet = _Sheet(book, "Chats", CHAT_COLUMNS)
    messages_sheet = _Sheet(book, "Messages", MESSAGE_COLUMNS)
    chats_sheet._next_part()
    messages_sheet._next_part()
    count = 0
    for chat in chats:
        chats_sheet.append(chat)
        for message in messages_of(chat):
            messages_sheet.append(message)
        count += 1
        if on_progress and count % progress_every == 0:
            on_progress(count)
    _order_sheets(book, ["Chats", "Messages"])
    book.save(target)
    if on_progress:
        on_progress(count)
    return count
