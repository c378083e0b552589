"""Data upgrades between versions, for the local stack's persistent database
(run at every start) and deployed stacks (`python -m infra.manage --aws
add-chat-heads`)."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PutError


def add_missing_heads(client: Any) -> int:
    """Give every open chat without a head (models.ChatHead) one, from the chat
    item as versions before heads kept it; returns how many. Run it right after
    the version with heads is deployed (until then such a chat takes no
    messages); running it again changes nothing, as a head is only ever created
    where none exists. A Scan of the chats table: an upgrade, never a request."""
    from chalicelib.models import Chat, ChatHead

    added = 0
    pages = client.get_paginator("scan").paginate(
        TableName=Chat.Meta.table_name,
        FilterExpression="#status <> :ended",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":ended": {"S": "ended"}},
    )
    for page in pages:
        for raw in page.get("Items", []):
            chat = Chat.from_raw_data(raw)
            head = ChatHead(
                chat_id=chat.chat_id,
                service_id=chat.service_id,
                customer_id=chat.customer_id,
                customer_name=(chat.customer or {}).get("name"),
                operator_id=chat.operator_id,
                customer_left=bool(chat.customer_left_at),
                replied=bool(chat.first_response_at and chat.processed),
                last_seq=int(chat.last_seq or 0),
                listeners={},  # clients resume, and join again
            )
            try:
                head.save(condition=ChatHead.chat_id.does_not_exist())
                added += 1
            except PutError:
                continue  # it has one
    return added
