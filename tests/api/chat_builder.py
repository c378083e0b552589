"""One chat with one of everything a chat makes, over the real handlers: the
retention, erasure and Lambda-handler tests build theirs with it."""

from __future__ import annotations

from typing import Any

from tests.api.test_attachments_api import PNG, ask, send, upload


def chat_with_everything(
    customer: Any,
    operator: Any,
    console: Any,
    *,
    name: str,
    email: str,
    n: int = 1,
    says: str = "Hello",
    answers: str = "Hi",
    note: str = "a note",
    filename: str | None = "shot.png",
    ticket: tuple[str, str, str] | None = ("Call back", "", "Done"),
) -> dict[str, Any]:
    """The customer (a widget socket) starts a chat as `name` and `email`; the
    operator (their API and console socket) opens it; then a page viewed, a
    message each way, a file (`filename`; None: none), a note and a ticket
    from the chat with a reply (`ticket` = subject, body, reply; None: none).
    `n` keeps the client ids of several chats of one customer apart."""
    started = customer.request({"type": "chat.start", "consent": True, "name": name,
                                "email": email})
    assert started["type"] == "chat.started", started
    chat_id = started["chat"]["chat_id"]
    assert operator.post(f"/chats/{chat_id}/open")[0] == 200
    customer.send({"type": "page.view", "chat_id": chat_id, "id": f"pv{n}",
                   "url": f"https://shop.example.com/private-page-{n}"})
    for socket, cmid, text in ((customer, f"c{n}", says), (console, f"o{n}", answers)):
        ack = socket.request({"type": "message.send", "chat_id": chat_id, "client_msg_id": cmid,
                              "text": text})
        assert ack["type"] == "message.ack", ack
    made: dict[str, Any] = {"chat_id": chat_id, "attachment_id": None, "ticket_id": None}
    if filename is not None:
        answer = ask(customer, chat_id, filename=filename)
        assert upload(answer, PNG) in (200, 204)
        ack = send(customer, chat_id, answer["attachment_id"], cmid=f"f{n}")
        assert ack["type"] == "message.ack", ack
        made["attachment_id"] = answer["attachment_id"]
    assert operator.post(f"/chats/{chat_id}/notes", {"text": note})[0] == 201
    if ticket is not None:
        subject, body, reply = ticket
        status, filed = operator.post(f"/chats/{chat_id}/tickets",
                                      {"subject": subject, "body": body})
        assert status == 201, filed
        assert operator.post(f"/tickets/{filed['ticket_id']}/replies", {"text": reply})[0] == 201
        made["ticket_id"] = filed["ticket_id"]
    return made
