"""The export workbook: values, never formulas; real dates in the service's zone;
the reader's language; sheets continue at the row limit; and it opens readable
(R-XLS-2): widths fit, the header is frozen and filtered, long texts wrap, text
that looks like a formula keeps Excel's quote prefix, and it prints landscape,
fitted across the page(s) with the header on each.

Every file is read back by two readers: openpyxl and calamine (the Rust reader
behind pandas' and polars' "calamine" engine)."""

import re
import zipfile
from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import python_calamine

from chalicelib.models import ChatStatus
from chalicelib.services import workbook
from chalicelib.services.workbook_text import WORDINGS

TOKYO = ZoneInfo("Asia/Tokyo")


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


def _message(chat_id, seq, text, role="customer", created_at="2026-11-20T09:31:00.000Z"):
    return {"chat_id": chat_id, "seq": seq, "sender": {"role": role, "name": "Hanako"},
            "text": text, "client_msg_id": None, "created_at": created_at}


def _write(chats, messages=None, **options):
    """The workbook's bytes; `messages` maps a chat id to its messages."""
    buffer = BytesIO()
    messages = messages or {}
    workbook.write_workbook(buffer, chats, lambda chat: messages.get(chat["chat_id"], []),
                            **options)
    return buffer.getvalue()


def _read(data):
    return openpyxl.load_workbook(BytesIO(data))


def _calamine(data, sheet):
    """The sheet's rows as calamine reads them (numbers come back as floats)."""
    return python_calamine.load_workbook(BytesIO(data)).get_sheet_by_name(sheet).to_python()


def _by_header(rows):
    header, *body = rows
    return [dict(zip(header, row, strict=True)) for row in body]


def _widths(sheet):
    return {letter: dimension.width for letter, dimension in sheet.column_dimensions.items()}


def _column(sheet, header):
    """The letter of the column whose header is `header`."""
    for cell in sheet[1]:
        if cell.value == header:
            return cell.column_letter
    raise AssertionError(f"no column {header!r}")


def _cell_xfs(data):
    """Each cell format (cellXfs) of styles.xml as its attributes, by index."""
    styles = zipfile.ZipFile(BytesIO(data)).read("xl/styles.xml").decode()
    cell_xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S).group(1)
    return [dict(re.findall(r'(\w+)="([^"]*)"', xf))
            for xf in re.findall(r"<xf\b([^>]*)", cell_xfs)]


def _sheet_xml(data, title):
    """The raw XML of the sheet titled `title`."""
    package = zipfile.ZipFile(BytesIO(data))
    book = package.read("xl/workbook.xml").decode()
    rels = package.read("xl/_rels/workbook.xml.rels").decode()
    rel_id = re.search(rf'<sheet name="{re.escape(title)}"[^>]*r:id="(\w+)"', book).group(1)
    target = re.search(rf'<Relationship[^>]*Id="{rel_id}"[^>]*/>', rels).group(0)
    path = re.search(r'Target="([^"]+)"', target).group(1)
    return package.read(path.lstrip("/") if path.startswith("/xl/") else f"xl/{path}").decode()


def _style_index(sheet_xml, coordinate):
    return int(re.search(rf'<c r="{coordinate}"[^>]*\bs="(\d+)"', sheet_xml).group(1))


# --- values ---------------------------------------------------------------------


def test_chats_and_messages_sheets_hold_values():
    chats = [_chat("ch_1"), _chat("ch_2", processed=False, rating=None)]
    messages = {"ch_1": [_message("ch_1", 1, "Hello"), _message("ch_1", 2, "Hi", "operator"),
                         {**_message("ch_1", 3, ""), "attachment": {  # a file (R-ATT-1)
                             "attachment_id": "at_1", "filename": "請求書.pdf",
                             "content_type": "application/pdf", "size": 1200}}]}
    buffer = BytesIO()
    count = workbook.write_workbook(buffer, chats, lambda chat: messages.get(chat["chat_id"], []))
    assert count == 2
    data = buffer.getvalue()
    book = _read(data)
    assert book.sheetnames == ["Chats", "Messages"]
    first, second = _by_header(list(book["Chats"].iter_rows(values_only=True)))
    assert first["Chat ID"] == "ch_1" and first["Status"] == "Processed"
    assert first["Category"] == "Billing > Refunds" and first["Rating"] == 4
    assert first["Created (UTC)"] == datetime(2026, 11, 20, 9, 30)  # UTC unless told
    assert second["Status"] == "Unprocessed" and second["Rating"] is None
    expected = [
        ("ch_1", 1, datetime(2026, 11, 20, 9, 31), "Customer", "Hanako", "Hello", "Message",
         None, None),
        ("ch_1", 2, datetime(2026, 11, 20, 9, 31), "Operator", "Hanako", "Hi", "Message",
         None, None),
        ("ch_1", 3, datetime(2026, 11, 20, 9, 31), "Customer", "Hanako", None, "Message",
         "請求書.pdf", "application/pdf"),
    ]
    assert list(book["Messages"].iter_rows(values_only=True))[1:] == expected
    # calamine reads an empty cell as "".
    assert [tuple(row) for row in _calamine(data, "Messages")[1:]] == [
        tuple("" if value is None else value for value in row) for row in expected]


def test_times_are_real_dates_in_the_service_zone_named_in_the_header():
    chat = _chat("ch_1", created_at="2026-12-05T15:30:00.000Z", ended_at=None)
    message = _message("ch_1", 1, "Hello", created_at="2026-12-05T15:30:00.000Z")
    data = _write([chat], {"ch_1": [message]}, zone=TOKYO)
    tokyo_midnight_half_past = datetime(2026, 12, 6, 0, 30)
    for rows in (list(_read(data)["Chats"].iter_rows(values_only=True)),
                 _calamine(data, "Chats")):
        row = _by_header(rows)[0]
        assert row["Created (Asia/Tokyo)"] == tokyo_midnight_half_past
        assert row["Assigned (Asia/Tokyo)"] == datetime(2026, 11, 20, 18, 30, 5)
        assert row["Ended (Asia/Tokyo)"] in (None, "")
    for rows in (list(_read(data)["Messages"].iter_rows(values_only=True)),
                 _calamine(data, "Messages")):
        assert _by_header(rows)[0]["Time (Asia/Tokyo)"] == tokyo_midnight_half_past
    cell = _read(data)["Chats"]["B2"]
    assert cell.is_date and cell.number_format == WORDINGS["en"].date_format


def test_japanese_headers_and_values():
    chats = [_chat("ch_1", created_at="2026-12-05T15:30:00.000Z"),
             _chat("ch_2", processed=False, status="active",
                   customer={"name": "山田花子", "verified": False},
                   inquiry={"channel": "app", "category_path": ["請求", "返金"]})]
    messages = {"ch_1": [_message("ch_1", 1, "返品はできますか"),
                         _message("ch_1", 2, "はい、できます。", "operator"),
                         _message("ch_1", 3, "チャットが終了しました", "system")]}
    data = _write(chats, messages, zone=TOKYO, language="ja")
    book = _read(data)
    assert book.sheetnames == ["チャット", "メッセージ"]
    for rows in (list(book["チャット"].iter_rows(values_only=True)),
                 _calamine(data, "チャット")):
        assert tuple(rows[0][:4]) == ("チャットID", "開始日時 (Asia/Tokyo)", "ステータス",
                                      "チャット状態")
        first, second = _by_header(rows)
        assert first["開始日時 (Asia/Tokyo)"] == datetime(2026, 12, 6, 0, 30)
        assert (first["ステータス"], first["チャット状態"]) == ("処理済み", "終了")
        assert (second["ステータス"], second["チャット状態"]) == ("未処理", "チャット中")
        assert (first["本人確認"], second["本人確認"]) == ("確認済み", "未確認")
        assert first["チャネル"] == "Webウィジェット"
        assert second["チャネル"] == "app"  # a service's own channel passes through
        assert second["顧客名"] == "山田花子" and second["処理タイプ"] == "請求 > 返金"
    for rows in (list(book["メッセージ"].iter_rows(values_only=True)),
                 _calamine(data, "メッセージ")):
        assert list(rows[0]) == ["チャットID", "連番", "送信日時 (Asia/Tokyo)", "送信者",
                                 "送信者名", "本文", "種別", "添付ファイル",
                                 "添付ファイルの種類"]
        assert [row["送信者"] for row in _by_header(rows)] == ["顧客", "オペレーター",
                                                               "システム"]
    assert book["チャット"]["B2"].number_format == "yyyy/mm/dd hh:mm:ss"


def test_korean_headers_and_values():
    data = _write([_chat("ch_1")], {"ch_1": [_message("ch_1", 1, "안녕하세요")]},
                  language="ko")
    assert _read(data).sheetnames == ["채팅", "메시지"]
    row = _by_header(_calamine(data, "채팅"))[0]
    assert (row["처리 상태"], row["채팅 상태"], row["채널"]) == ("처리 완료", "종료", "웹 위젯")
    assert _by_header(_calamine(data, "메시지"))[0]["발신자"] == "고객"


@pytest.mark.parametrize("language", sorted(WORDINGS))
def test_every_header_and_code_is_translated(language):
    wording, english = WORDINGS[language], WORDINGS["en"]
    keys = {column.key for column in workbook.CHAT_COLUMNS + workbook.MESSAGE_COLUMNS}
    assert set(wording.headers) == keys
    assert set(wording.sheets) == {"chats", "messages"}
    assert {state.value for state in ChatStatus} <= set(wording.values["state"])
    for column in workbook.CHAT_COLUMNS + workbook.MESSAGE_COLUMNS:
        if column.coded:
            assert set(wording.values[column.key]) == set(english.values[column.key])
    if language != "en":  # a real translation: no English left behind
        untranslated = [wording.headers[key] for key in keys
                        if wording.headers[key] == english.headers[key]]
        assert untranslated == []
        for column, shown in wording.values.items():
            assert all(shown[code] != english.values[column][code] for code in shown)


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="fr"):
        _write([_chat("ch_1")], language="fr")


# --- opens readable (R-XLS-2) -----------------------------------------------------


def test_column_widths_fit_their_contents_within_bounds():
    email = "a.rather.long.address.for.billing@example.co.jp"  # 47 characters
    chat = _chat("ch_1", customer={"name": "山田太郎山田太郎山田太郎", "email": email,
                                   "notes": "x" * 500, "verified": True})
    data = _write([chat], {"ch_1": [_message("ch_1", 1, "y" * 5000)]})
    book = _read(data)
    for sheet in book.worksheets:
        widths = _widths(sheet)
        assert len(widths) == sheet.max_column
        assert all(workbook.MIN_WIDTH <= width <= workbook.MAX_WIDTH
                   for width in widths.values())
    chats = book["Chats"]
    assert _widths(chats)[_column(chats, "Customer email")] >= len(email)
    # 12 wide characters take the room of 24 narrow ones.
    assert _widths(chats)[_column(chats, "Customer name")] >= 24
    assert _widths(chats)[_column(chats, "Notes")] == workbook.MAX_WIDTH
    # A header is never cut short: room for its text and its filter button.
    assert _widths(chats)[_column(chats, "Operator ID")] >= len("Operator ID") + 2
    messages = book["Messages"]
    assert _widths(messages)[_column(messages, "Text")] == workbook.MAX_WIDTH
    assert _widths(messages)[_column(messages, "Seq")] == workbook.MIN_WIDTH  # "1" and "Seq"


@pytest.mark.parametrize("language", sorted(WORDINGS))
def test_date_columns_are_wide_enough_never_to_show_hashes(language):
    # opened_at is empty in every row, and "Ended (UTC)" is shorter than a date: the
    # columns are still wide enough for one.
    data = _write([_chat("ch_1")], {"ch_1": [_message("ch_1", 1, "Hi")]}, language=language)
    date_chars = len(WORDINGS[language].date_format)  # yyyy-mm-dd hh:mm:ss shows 19
    for sheet in _read(data).worksheets:
        date_columns = [cell.column_letter for cell in sheet[1] if cell.value.endswith("(UTC)")]
        assert date_columns
        for letter in date_columns:
            assert sheet.column_dimensions[letter].width >= date_chars + 1


def test_a_time_header_wraps_its_zone_instead_of_widening_the_column():
    data = _write([_chat("ch_1")], {"ch_1": [_message("ch_1", 1, "Hi")]}, zone=TOKYO,
                  language="ja")
    sheet = _read(data)["チャット"]
    letter = _column(sheet, "初回応答日時 (Asia/Tokyo)")  # 12 + 13 wide
    assert sheet.column_dimensions[letter].width < len("初回応答日時") * 2 + 13
    assert sheet[f"{letter}1"].alignment.wrap_text
    assert sheet.row_dimensions[1].height == workbook.HEADER_TWO_LINES  # both lines show


def test_widths_come_from_the_first_rows_and_every_row_is_still_written(monkeypatch):
    monkeypatch.setattr(workbook, "SAMPLE_ROWS", 2)
    chats = [_chat(f"ch_{i}", customer={"name": "N" * (10 + 10 * i), "verified": True})
             for i in range(5)]
    book = _read(_write(chats))
    sheet = book["Chats"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        f"ch_{i}" for i in range(5)]
    # Sampled: names of 10 and 20 characters; the later, longer ones do not count.
    assert _widths(sheet)[_column(sheet, "Customer name")] == 20 + 2


def test_header_row_is_frozen_and_filtered_over_every_row():
    chats = [_chat("ch_1"), _chat("ch_2")]
    messages = {"ch_1": [_message("ch_1", s, "x") for s in (1, 2, 3)]}
    book = _read(_write(chats, messages))
    assert book["Chats"].freeze_panes == "A2"
    assert book["Chats"].auto_filter.ref == "A1:V3"
    assert book["Messages"].freeze_panes == "A2"
    assert book["Messages"].auto_filter.ref == "A1:I4"


def test_an_empty_export_still_has_its_headers_frozen_and_filtered():
    book = _read(_write([]))
    assert book.sheetnames == ["Chats", "Messages"]
    assert book["Messages"]["F1"].value == "Text"
    assert book["Messages"].freeze_panes == "A2"
    assert book["Messages"].auto_filter.ref == "A1:I1"


def test_long_texts_wrap_through_shared_styles():
    chats = [_chat(f"ch_{i}", customer={"name": "=x", "notes": "a note", "verified": True})
             for i in range(50)]
    messages = {chat["chat_id"]: [_message(chat["chat_id"], 1, "a long message")]
                for chat in chats}
    data = _write(chats, messages)
    book = _read(data)
    chats_sheet, messages_sheet = book["Chats"], book["Messages"]
    for header in ("Notes", "Rating comment", "Category"):
        assert chats_sheet[f"{_column(chats_sheet, header)}2"].alignment.wrap_text
    assert messages_sheet["F2"].alignment.wrap_text
    assert messages_sheet["F2"].style == "Export long text"
    assert not messages_sheet["A2"].alignment.wrap_text
    # A handful of cell formats for 100 rows: shared styles, not one per cell.
    assert len(_cell_xfs(data)) <= 10


@pytest.mark.parametrize("text", ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "=HYPERLINK(\"x\")",
                                  "\uff1d\uff11\uff0b\uff12"])  # full-width "=1+2"
def test_formula_looking_text_stays_text_with_the_quote_prefix(text):
    data = _write([_chat("ch_1", customer={"name": text, "verified": False})],
                  {"ch_1": [_message("ch_1", 1, text)]})
    book = _read(data)
    name_cell = book["Chats"].cell(row=2, column=7)
    text_cell = book["Messages"].cell(row=2, column=6)
    for cell in (name_cell, text_cell):
        assert cell.value == text
        assert cell.data_type == "s"
        assert cell.quotePrefix
    assert _calamine(data, "Chats")[1][6] == text
    assert _calamine(data, "Messages")[1][5] == text
    # In the file itself: the cell's format is one with quotePrefix="1"…
    cell_xfs = _cell_xfs(data)
    for title, coordinate in (("Chats", "G2"), ("Messages", "F2")):
        xf = cell_xfs[_style_index(_sheet_xml(data, title), coordinate)]
        assert xf.get("quotePrefix") == "1"
    # …and the ordinary text beside it has none.
    plain = cell_xfs[_style_index(_sheet_xml(data, "Chats"), "E2")]  # operator "Kim"
    assert plain.get("quotePrefix") in (None, "0")
    assert not book["Chats"]["E2"].quotePrefix


def test_error_looking_text_stays_text():
    data = _write([_chat("ch_1")], {"ch_1": [_message("ch_1", 1, "#DIV/0!")]})
    cell = _read(data)["Messages"]["F2"]
    assert cell.value == "#DIV/0!" and cell.data_type == "s"


def test_control_characters_are_dropped_not_fatal():
    data = _write([_chat("ch_1")], {"ch_1": [_message("ch_1", 1, "a\x00b\x1fc")]})
    assert _read(data)["Messages"].cell(row=2, column=6).value == "abc"


@pytest.mark.parametrize("language", sorted(WORDINGS))
def test_pages_are_landscape_fitted_across_with_the_header_repeated(language):
    book = _read(_write([_chat(f"ch_{i}") for i in range(8)],
                        {f"ch_{i}": [_message(f"ch_{i}", 1, "Hello")] for i in range(8)},
                        language=language))
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert int(sheet.page_setup.fitToHeight) == 0  # as many pages down as needed
        assert sheet.print_title_rows == "$1:$1" and sheet.print_title_cols == "$A:$A"
        assert "&P" in sheet.oddFooter.center.text
        widths = sum(_widths(sheet).values())
        pages = int(sheet.page_setup.fitToWidth)
        # Never smaller than about 60% of full size, never a page more than that needs.
        assert widths / pages <= workbook.PRINT_WIDTH_PER_PAGE
        assert pages == 1 or widths / (pages - 1) > workbook.PRINT_WIDTH_PER_PAGE
    first, messages = book.worksheets
    assert (int(first.page_setup.fitToWidth), int(messages.page_setup.fitToWidth)) == (2, 1)
    expected_paper = None if language == "en" else 9  # A4 in Japan and Korea
    assert first.page_setup.paperSize == expected_paper


# --- size -----------------------------------------------------------------------------


def test_sheets_continue_at_the_row_limit(monkeypatch):
    monkeypatch.setattr(workbook, "EXCEL_MAX_ROWS", 4)  # header + 3 rows per sheet part
    chats = [_chat(f"ch_{i}") for i in range(5)]
    messages = {f"ch_{i}": [_message(f"ch_{i}", s, "x") for s in (1, 2)] for i in range(5)}
    data = _write(chats, messages)
    book = _read(data)
    assert book.sheetnames == ["Chats", "Chats (2)", "Messages", "Messages (2)",
                               "Messages (3)", "Messages (4)"]
    chat_ids = [row[0] for name in ("Chats", "Chats (2)")
                for row in book[name].iter_rows(min_row=2, values_only=True)]
    assert chat_ids == [f"ch_{i}" for i in range(5)]
    message_rows = sum(book[name].max_row - 1 for name in book.sheetnames
                       if name.startswith("Messages"))
    assert message_rows == 10
    # Every part is a readable sheet of its own: header, widths, freeze, filter, print.
    for sheet in book.worksheets:
        last = "V" if sheet.title.startswith("Chats") else "I"
        assert sheet["A1"].value == "Chat ID"
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:{last}{sheet.max_row}"
        assert _widths(sheet) == _widths(book[sheet.title.split(" (")[0]])
        assert sheet.print_title_rows == "$1:$1"
        assert sheet.page_setup.orientation == "landscape"
    assert [book[name].max_row for name in book.sheetnames] == [4, 3, 4, 4, 4, 2]
    assert len(_calamine(data, "Messages (4)")) == 2


def test_progress_is_reported():
    seen = []
    workbook.write_workbook(BytesIO(), [_chat(f"ch_{i}") for i in range(5)], lambda chat: [],
                            on_progress=seen.append, progress_every=2)
    assert seen == [2, 4, 5]
