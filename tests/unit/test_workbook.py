"""The export workbook: values, never formulas; real dates; sheets continue at the
row limit."""

from datetime import datetime
from io import BytesIO

import openpyxl
import pytest

from chalicelib.services import workbook


def _chat(chat_id, **over):
    chat = {
        "chat_id": chat_id, "service_id": "acme", "status": "ended", "processed": True,
        "operator_id": "op_1", "operator_name": "Kim",
        "customer": {"customer_id": "cu_1", "name": "Hanako", "email": "h@example.jp",
                     "notes": None, "ip": "203.0.113.9", "device": "Chrome on Windows",
                     "verified": True},
        "inquiry": {"channel": "widget", "category_id": "cat_3",
                    "category_path": ["Billing", "Refunds"]},
        "created_at": "2026-11-20T09:30:00.000Z", "assigned_at": "2026-11-20T09:30:05.000Z",
        "opened_at": None, "first_response_at": None, "customer_left_at": None,
        "ended_at": "2026-11-20T09:45:00.000Z", "queue_position": None,
        "rating": {"score": 4, "comment": "good", "rated_at": "2026-11-20T09:44:00.000Z"},
        "last_seq": 2,
    }
    chat.update(over)
    return chat


def _message(chat_id, seq, text, role="customer"):
    return {"chat_id": chat_id, "seq": seq, "sender": {"role": role, "name": "Hanako"},
            "text": text, "client_msg_id": None, "created_at": "2026-11-20T09:31:00.000Z"}


def _read(buffer):
    buffer.seek(0)
    return openpyxl.load_workbook(buffer)


def test_chats_and_messages_sheets_hold_values():
    buffer = BytesIO()
    chats = [_chat("ch_1"), _chat("ch_2", processed=False, rating=None)]
    messages = {"ch_1": [_message("ch_1", 1, "Hello"), _message("ch_1", 2, "Hi", "operator")],
                "ch_2": []}
    count = workbook.write_workbook(buffer, chats, lambda chat: messages[chat["chat_id"]])
    assert count == 2
    book = _read(buffer)
    assert book.sheetnames == ["Chats", "Messages"]
    rows = list(book["Chats"].iter_rows(values_only=True))
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    assert first["Chat ID"] == "ch_1" and first["Status"] == "processed"
    assert first["Category"] == "Billing > Refunds" and first["Rating"] == 4
    assert first["Created"] == datetime(2026, 11, 20, 9, 30)
    second = dict(zip(header, rows[2], strict=True))
    assert second["Status"] == "unprocessed" and second["Rating"] is None
    assert list(book["Messages"].iter_rows(values_only=True))[1:] == [
        ("ch_1", 1, datetime(2026, 11, 20, 9, 31), "customer", "Hanako", "Hello"),
        ("ch_1", 2, datetime(2026, 11, 20, 9, 31), "operator", "Hanako", "Hi"),
    ]


@pytest.mark.parametrize("text", ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "=HYPERLINK(\"x\")",
                                  "#DIV/0!"])
def test_text_never_becomes_a_formula(text):
    buffer = BytesIO()
    workbook.write_workbook(buffer, [_chat("ch_1", customer={"name": text, "verified": False})],
                            lambda chat: [_message("ch_1", 1, text)])
    book = _read(buffer)
    name_cell = book["Chats"].cell(row=2, column=7)
    text_cell = book["Messages"].cell(row=2, column=6)
    for cell in (name_cell, text_cell):
        assert cell.value == text
        assert cell.data_type == "s"


def test_control_characters_are_dropped_not_fatal():
    buffer = BytesIO()
    workbook.write_workbook(buffer, [_chat("ch_1")],
                            lambda chat: [_message("ch_1", 1, "a\x00b\x1fc")])
    assert _read(buffer)["Messages"].cell(row=2, column=6).value == "abc"


def test_sheets_continue_at_the_row_limit(monkeypatch):
    monkeypatch.setattr(workbook, "EXCEL_MAX_ROWS", 4)  # header + 3 rows per sheet part
    buffer = BytesIO()
    chats = [_chat(f"ch_{i}") for i in range(5)]
    workbook.write_workbook(buffer, chats,
                            lambda chat: [_message(chat["chat_id"], s, "x") for s in (1, 2)])
    book = _read(buffer)
    assert book.sheetnames == ["Chats", "Chats (2)", "Messages", "Messages (2)",
                               "Messages (3)", "Messages (4)"]
    chat_ids = [row[0] for name in ("Chats", "Chats (2)")
                for row in book[name].iter_rows(min_row=2, values_only=True)]
    assert chat_ids == [f"ch_{i}" for i in range(5)]
    message_rows = sum(book[name].max_row - 1 for name in book.sheetnames
                       if name.startswith("Messages"))
    assert message_rows == 10


def test_progress_is_reported():
    seen = []
    workbook.write_workbook(BytesIO(), [_chat(f"ch_{i}") for i in range(5)], lambda chat: [],
                            on_progress=seen.append, progress_every=2)
    assert seen == [2, 4, 5]
