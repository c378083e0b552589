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


def fold_day_counters(client: Any) -> int:
    """Fold the statistics counters of versions before time zones (one item per
    service and UTC day, `YYYY-MM-DD[#shard]`) into the hour items read now
    (services/stats.py), at that day's noon UTC, where the report already
    reads them; returns how many were folded. Each is one transaction: the
    counts added to the hour item and the day item deleted, only if it is still
    there, so two runs at once fold it once. Current versions never write day
    items, so nothing is lost to a count made meanwhile. A Scan of the stats
    table: an upgrade, never a request."""
    from pynamodb.exceptions import TransactWriteError

    from chalicelib.models import DailyStats, transaction
    from chalicelib.services import stats

    folded = 0
    pages = client.get_paginator("scan").paginate(TableName=DailyStats.Meta.table_name)
    for page in pages:
        for raw in page.get("Items", []):
            row = DailyStats.from_raw_data(raw)
            day, _, shard = row.day.partition("#")
            if "T" in day:
                continue
            counts = {name: int(getattr(row, name) or 0) for name in stats.COUNTERS}
            target = DailyStats(service_id=row.service_id,
                                day=f"{day}T{stats.LEGACY_HOUR:02d}#{shard or 0}")
            try:
                with transaction() as writes:
                    actions = [getattr(DailyStats, name).add(value)
                               for name, value in counts.items() if value]
                    if actions:
                        writes.update(target, actions=actions)
                    writes.delete(row, condition=DailyStats.day.exists())
            except TransactWriteError:
                continue  # another run folded it
            folded += 1
    return folded


def _done(marker: str) -> bool:
    """Whether the upgrade that leaves `marker` in the tokens table has run."""
    from chalicelib.models import Token

    try:
        Token.get(marker, consistent_read=True)
    except Token.DoesNotExist:
        return False
    return True


def index_search_terms(client: Any) -> int:
    """Write the partial-search pieces (services/search_terms.py, R-CH-3b) of
    every chat and ticket from before the term index; returns how many. Chats
    and tickets made or saved since write their own, in the same transaction. Once done,
    a marker in the tokens table makes later runs free; running it again before
    that rewrites the same items. A Scan of the chats table: an upgrade, never a
    request."""
    from chalicelib import token_keys
    from chalicelib.models import Chat, SearchTerm, Ticket, Token
    from chalicelib.services import search_terms

    marker = token_keys.upgrade_done("search-terms-v1")
    if _done(marker):
        return 0
    indexed = 0
    pages = client.get_paginator("scan").paginate(TableName=Chat.Meta.table_name)
    with SearchTerm.batch_write() as batch:
        for page in pages:
            for raw in page.get("Items", []):
                chat = Chat.from_raw_data(raw)
                customer = chat.customer or {}
                items = search_terms.items_for(chat.service_id, chat.chat_id, chat.created_at,
                                               customer.get("name"), customer.get("email"))
                for item in items:
                    batch.save(item)
                indexed += 1 if items else 0
        for page in client.get_paginator("scan").paginate(TableName=Ticket.Meta.table_name):
            for raw in page.get("Items", []):
                ticket = Ticket.from_raw_data(raw)
                customer = ticket.customer or {}
                items = search_terms.items_for(
                    ticket.service_id, ticket.ticket_id, ticket.created_at,
                    customer.get("name"), customer.get("email"), kind=search_terms.TICKET)
                for item in items:
                    batch.save(item)
                indexed += 1 if items else 0
    Token(token_key=marker, payload={"chats": indexed}).save()
    return indexed


def number_tickets(client: Any) -> int:
    """Give every ticket from before ticket numbers (R-TK-2) the next number of
    its service, oldest first, its customer as requester, filter items and a
    request entry; returns how many. Numbering is conditional (a ticket is
    numbered once, whoever runs it) and new tickets number themselves, so it
    may run beside the app. A marker makes later runs free. A Scan of the
    tickets table: an upgrade, never a request."""
    from chalicelib import token_keys
    from chalicelib.models import Ticket, Token
    from chalicelib.services import tickets

    marker = token_keys.upgrade_done("ticket-numbers-v1")
    if _done(marker):
        return 0
    older: list[tuple[str, str, str]] = []
    for page in client.get_paginator("scan").paginate(TableName=Ticket.Meta.table_name):
        for raw in page.get("Items", []):
            if "number" not in raw:
                ticket = Ticket.from_raw_data(raw)
                older.append((ticket.service_id, ticket.created_at, ticket.ticket_id))
    numbered = sum(1 for _, _, ticket_id in sorted(older) if tickets.number_older(ticket_id))
    Token(token_key=marker, payload={"tickets": numbered}).save()
    return numbered


def index_customers(client: Any) -> int:
    """Give every chat from before the customer index (R-VIS-1) its
    `customer_key`, so Chat History finds a customer's earlier chats; returns
    how many. Conditional (a chat keeps the key it has), so it may run beside
    the app; chats started since carry their own. A marker makes later runs
    free. A Scan of the chats table: an upgrade, never a request."""
    from pynamodb.exceptions import UpdateError

    from chalicelib import token_keys
    from chalicelib.models import Chat, Token
    from chalicelib.services import chat_index

    marker = token_keys.upgrade_done("customer-index-v1")
    if _done(marker):
        return 0
    indexed = 0
    for page in client.get_paginator("scan").paginate(TableName=Chat.Meta.table_name):
        for raw in page.get("Items", []):
            if "customer_key" in raw or "customer_id" not in raw:
                continue
            chat = Chat.from_raw_data(raw)
            key = str(chat_index.keyed(chat.service_id, chat.customer_id))
            try:
                chat.update(actions=[Chat.customer_key.set(key)],
                            condition=Chat.customer_key.does_not_exist())
                indexed += 1
            except UpdateError:
                continue  # indexed meanwhile
    Token(token_key=marker, payload={"chats": indexed}).save()
    return indexed


def retention_times(client: Any) -> int:
    """Give every item of every service the time its service's retention
    (R-PRIV-1) sets — items written before retention have none; returns how
    many services. Each service's `retention` job (services/retention_jobs.py)
    runs here to the end; it is conditional item by item and resumable, so it
    may run beside the app, and again. A marker makes later runs free. A Scan
    of the services table: an upgrade, never a request."""
    from chalicelib import token_keys
    from chalicelib.models import Service, Token
    from chalicelib.services import jobs, retention, retention_jobs, settings  # noqa: F401

    marker = token_keys.upgrade_done("retention-v1")
    if _done(marker):
        return 0
    done = 0
    for page in client.get_paginator("scan").paginate(TableName=Service.Meta.table_name):
        for raw in page.get("Items", []):
            service = Service.from_raw_data(raw)
            days = retention.days_of(settings.current(service))
            job_id = retention.job_id(service.service_id)
            jobs.start(job_id, retention.RETENTION, service.service_id, {"days": days})
            while (job := jobs.get(job_id)) is not None and job.status != "done":
                if jobs.work(job_id) is None:
                    import time

                    time.sleep(1)  # another worker holds it: wait for it
            done += 1
    Token(token_key=marker, payload={"services": done}).save()
    return done
