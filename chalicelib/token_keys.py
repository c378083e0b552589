"""The kinds of record kept in the `tokens` table (models.Token), each under a
key of its own shape `<kind>#<parts…>`. Every key is made here, so the table's
contents are listed in one place:

| kind | what it holds | expires |
|---|---|---|
| session | an operator's sign-in session (logout deletes it) | with the token |
| ticket | a single-use WebSocket ticket (only its SHA-256) | 60 s |
| loginfail | failed logins of one account from one address | 1 h after the last |
| rate | a per-address rate limit's GCRA time | minutes after use |
| email | the guard making an operator's email unique in a service | never |
| widgetkey | the guard making a widget key unique | never |
| cmid | a message's client id in its chat (a retry stores once) | 2 days |
| openchats | the cap on chats open at once from one address | 2 days after use |
| exports | the cap on exports running at once in a service | 30 min after use |
| upgrade | a data upgrade that has run (`infra/upgrade.py`) | never |
| ticketno | the last ticket number a service gave (its conditional counter) | never |
| offline | an offline-form submission's ticket (a retried submission files one) | 2 days |
| transcripts | how many transcript mails a chat's customer asked for (its cap) | 30 days |
| canned | the guard making a canned response's folded shortcut unique in its set | never |
| cannedcount | how many canned responses a set holds (its cap) | never |
| block | a block in force on a visitor (`c`) or an address (`ip`) of a service | with the block |
| webhookcount | how many webhooks a service has (its cap) | never |
"""

from __future__ import annotations


def session(session_id: str) -> str:
    return f"session#{session_id}"


def ticket(digest: str) -> str:
    return f"ticket#{digest}"


def login_failures(service_id: str, email: str, ip: str | None) -> str:
    return f"loginfail#{service_id}#{email.lower()}#{ip or '-'}"


def rate(limit: str, subject: str) -> str:
    return f"rate#{limit}#{subject}"


def operator_email(service_id: str, email: str) -> str:
    return f"email#{service_id}#{email.lower()}"


def widget_key(key: str) -> str:
    return f"widgetkey#{key}"


def client_message(chat_id: str, client_msg_id: str) -> str:
    return f"cmid#{chat_id}#{client_msg_id}"


def open_chats(service_id: str, ip: str) -> str:
    return f"openchats#{service_id}#{ip}"


def running_exports(service_id: str) -> str:
    return f"exports#{service_id}"


def canned_shortcut(service_id: str, set_name: str, folded_shortcut: str) -> str:
    """`set_name`: `s` (the service's set) or `p.<operator_id>` (a personal one)."""
    return f"canned#{service_id}#{set_name}#{folded_shortcut}"


def canned_count(service_id: str, set_name: str) -> str:
    return f"cannedcount#{service_id}#{set_name}"


def upgrade_done(name: str) -> str:
    return f"upgrade#{name}"


def ticket_number(service_id: str) -> str:
    return f"ticketno#{service_id}"


def offline_submission(service_id: str, submission_id: str) -> str:
    return f"offline#{service_id}#{submission_id}"


def transcripts(chat_id: str) -> str:
    return f"transcripts#{chat_id}"


def block(service_id: str, kind: str, subject: str) -> str:
    return f"block#{service_id}#{kind}#{subject}"


def webhook_count(service_id: str) -> str:
    return f"webhookcount#{service_id}"
