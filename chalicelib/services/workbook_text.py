"""The export workbook's words, one table per language (R-I18N-2): sheet titles,
column headers and the values that are our own codes (a chat's state, its
channel, a sender's role…). Japanese and English follow the console's own words
(console/js/i18n/), so a cell reads as the screen it came from; a value not
listed here (a service's own channel name, say) is shown as it is."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Wording:
    sheets: dict[str, str]  # "chats" | "messages" → sheet title
    headers: dict[str, str]  # column key → header
    values: dict[str, dict[str, str]]  # column key → stored value → shown value
    date_format: str  # Excel number format of the time columns
    paper_size: int | None  # OOXML paperSize (9 is A4); None: the printer's default


ENGLISH = Wording(
    sheets={"chats": "Chats", "messages": "Messages"},
    headers={
        "chat_id": "Chat ID",
        "created": "Created",
        "status": "Status",
        "state": "Chat state",
        "operator": "Operator",
        "operator_id": "Operator ID",
        "customer_name": "Customer name",
        "customer_email": "Customer email",
        "verified": "Verified",
        "notes": "Notes",
        "ip": "IP address",
        "device": "Device",
        "channel": "Channel",
        "category": "Category",
        "rating": "Rating",
        "rating_comment": "Rating comment",
        "assigned": "Assigned",
        "opened": "Opened",
        "first_response": "First response",
        "customer_left": "Customer left",
        "ended": "Ended",
        "message_count": "Messages",
        "seq": "Seq",
        "time": "Time",
        "kind": "Kind",
        "sender": "Sender",
        "sender_name": "Sender name",
        "text": "Text",
        "attachment": "Attachment",
        "attachment_type": "Attachment type",
    },
    values={
        "status": {"processed": "Processed", "unprocessed": "Unprocessed"},
        "state": {"waiting": "Queued", "assigned": "New", "active": "In chat",
                  "ended": "Ended"},
        "verified": {"yes": "Yes", "no": "No"},
        "channel": {"widget": "Web widget", "chat": "Chat"},
        "sender": {"customer": "Customer", "operator": "Operator", "system": "System"},
        "kind": {"message": "Message", "note": "Internal note",
                 "transfer": "Handover note"},
    },
    date_format="yyyy-mm-dd hh:mm:ss",
    paper_size=None,
)

JAPANESE = Wording(
    sheets={"chats": "チャット", "messages": "メッセージ"},
    headers={
        "chat_id": "チャットID",
        "created": "開始日時",
        "status": "ステータス",
        "state": "チャット状態",
        "operator": "オペレーター",
        "operator_id": "オペレーターID",
        "customer_name": "顧客名",
        "customer_email": "メールアドレス",
        "verified": "本人確認",
        "notes": "備考",
        "ip": "IPアドレス",
        "device": "デバイス",
        "channel": "チャネル",
        "category": "処理タイプ",
        "rating": "評価",
        "rating_comment": "評価コメント",
        "assigned": "割り当て日時",
        "opened": "対応開始日時",
        "first_response": "初回応答日時",
        "customer_left": "顧客退出日時",
        "ended": "終了日時",
        "message_count": "メッセージ数",
        "seq": "連番",
        "time": "送信日時",
        "kind": "種別",
        "sender": "送信者",
        "sender_name": "送信者名",
        "text": "本文",
        "attachment": "添付ファイル",
        "attachment_type": "添付ファイルの種類",
    },
    values={
        "status": {"processed": "処理済み", "unprocessed": "未処理"},
        "state": {"waiting": "待機中", "assigned": "新規", "active": "チャット中",
                  "ended": "終了"},
        "verified": {"yes": "確認済み", "no": "未確認"},
        "channel": {"widget": "Webウィジェット", "chat": "チャット"},
        "sender": {"customer": "顧客", "operator": "オペレーター", "system": "システム"},
        "kind": {"message": "メッセージ", "note": "社内メモ", "transfer": "引き継ぎメモ"},
    },
    date_format="yyyy/mm/dd hh:mm:ss",
    paper_size=9,
)

KOREAN = Wording(
    sheets={"chats": "채팅", "messages": "메시지"},
    headers={
        "chat_id": "채팅 ID",
        "created": "시작 일시",
        "status": "처리 상태",
        "state": "채팅 상태",
        "operator": "상담원",
        "operator_id": "상담원 ID",
        "customer_name": "고객명",
        "customer_email": "이메일",
        "verified": "본인 확인",
        "notes": "메모",
        "ip": "IP 주소",
        "device": "기기",
        "channel": "채널",
        "category": "처리 유형",
        "rating": "평가",
        "rating_comment": "평가 코멘트",
        "assigned": "배정 일시",
        "opened": "상담 시작 일시",
        "first_response": "첫 응답 일시",
        "customer_left": "고객 퇴장 일시",
        "ended": "종료 일시",
        "message_count": "메시지 수",
        "seq": "순번",
        "time": "전송 일시",
        "kind": "종류",
        "sender": "발신자",
        "sender_name": "발신자 이름",
        "text": "내용",
        "attachment": "첨부 파일",
        "attachment_type": "첨부 파일 형식",
    },
    values={
        "status": {"processed": "처리 완료", "unprocessed": "미처리"},
        "state": {"waiting": "대기 중", "assigned": "신규", "active": "상담 중",
                  "ended": "종료"},
        "verified": {"yes": "확인됨", "no": "미확인"},
        "channel": {"widget": "웹 위젯", "chat": "채팅"},
        "sender": {"customer": "고객", "operator": "상담원", "system": "시스템"},
        "kind": {"message": "메시지", "note": "내부 메모", "transfer": "인계 메모"},
    },
    date_format="yyyy-mm-dd hh:mm:ss",
    paper_size=9,
)

WORDINGS: dict[str, Wording] = {"en": ENGLISH, "ja": JAPANESE, "ko": KOREAN}
