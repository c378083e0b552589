"""PynamoDB models: one class per table in infra/tables.yaml, indexes named after
the query they answer. How they reach DynamoDB (names and endpoint from
chalicelib.config, one shared connection, transactions) is chalicelib/db.py.

Every table access in the app goes through these classes."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    IncludeProjection,
    KeysOnlyProjection,
)

# The plumbing, in chalicelib/db.py; re-exported for the services.
from chalicelib.db import (  # noqa: F401
    Model,
    all_models,
    delete_returning,
    failed_tables,
    index_meta,
    registered,
    reset_connections,
    table_meta,
    transaction,
)

# --- services ---------------------------------------------------------------


class ServicesByWidgetKeyIndex(GlobalSecondaryIndex["Service"]):
    Meta = index_meta("services-by-widget-key", AllProjection())
    widget_key = UnicodeAttribute(hash_key=True)


@registered
class Service(Model):
    """A tenant: its settings, widget key and identity secret."""

    Meta = table_meta("services")
    service_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    widget_key = UnicodeAttribute()
    identity_secret = UnicodeAttribute()
    settings = JSONAttribute(default=dict)
    # Goes up with every change of `settings`: a change is written only over the
    # version it was made from (two admins saving at once both keep theirs).
    settings_version = NumberAttribute(default=0)
    # How many operators have role admin: the last one cannot be removed.
    admin_count = NumberAttribute(default=0)
    created_at = UnicodeAttribute()

    by_widget_key = ServicesByWidgetKeyIndex()


# --- operators --------------------------------------------------------------


class OperatorsByEmailIndex(GlobalSecondaryIndex["Operator"]):
    Meta = index_meta("operators-by-email", KeysOnlyProjection())
    service_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute(range_key=True)


class OnlineOperatorsIndex(GlobalSecondaryIndex["Operator"]):
    Meta = index_meta("online-operators", AllProjection())
    online_service_id = UnicodeAttribute(hash_key=True)
    operator_id = UnicodeAttribute(range_key=True)


@registered
class Operator(Model):
    """An operator or admin of one service."""

    Meta = table_meta("operators")
    service_id = UnicodeAttribute(hash_key=True)
    operator_id = UnicodeAttribute(range_key=True)
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()  # admin | operator
    password_hash = UnicodeAttribute()
    status = UnicodeAttribute(default="offline")  # online | break | offline
    # Set to service_id only while online: the sparse online-operators index.
    online_service_id = UnicodeAttribute(null=True)
    open_chats = NumberAttribute(default=0)
    max_chats = NumberAttribute(null=True)  # None: the service's default
    last_assigned_at = UnicodeAttribute(null=True)
    status_changed_at = UnicodeAttribute(null=True)
    # Goes up by one when the password changes: tokens carry the version they
    # were issued at, and an older one no longer signs anyone in (R-SEC-2).
    token_version = NumberAttribute(default=0)
    created_at = UnicodeAttribute()

    by_email = OperatorsByEmailIndex()
    online = OnlineOperatorsIndex()


# --- categories -------------------------------------------------------------


@registered
class Category(Model):
    """A processing type: a node of a tree of at most three levels."""

    Meta = table_meta("categories")
    service_id = UnicodeAttribute(hash_key=True)
    category_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    parent_id = UnicodeAttribute(null=True)
    level = NumberAttribute()
    position = NumberAttribute(default=0)
    # Guards for delete: a category with children or in use is never removed.
    children_count = NumberAttribute(default=0)
    usage_count = NumberAttribute(default=0)
    created_at = UnicodeAttribute()


# --- customers --------------------------------------------------------------


@registered
class Customer(Model):
    """A person chatting from the widget, anonymous or identified by the host page."""

    Meta = table_meta("customers")
    service_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)
    # What operators see (the Save button may change it) ...
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(null=True)
    # ... and the name the customer (or the host page) gave, the one their own
    # messages carry: never what an operator typed (R-SEC-1).
    given_name = UnicodeAttribute(null=True)
    external_id = UnicodeAttribute(null=True)
    verified = BooleanAttribute(default=False)
    ip = UnicodeAttribute(null=True)
    device = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    last_operator_id = UnicodeAttribute(null=True)
    open_chat_id = UnicodeAttribute(null=True)
    # Visitor tokens carry the version they were issued at; raising it revokes
    # every earlier one (accounts.sign_out_customer).
    token_version = NumberAttribute(default=0)
    # A visitor who never starts a chat is forgotten (R-SEC-4): until then
    # `expires_at` is a visitor token's life. The transaction that starts a
    # chat sets `chatted` and moves `expires_at` to the chat's retention
    # (R-PRIV-1): a customer goes with their last chat.
    expires_at = TTLAttribute(null=True)
    chatted = BooleanAttribute(null=True)
    # When an admin erased their personal data (R-PRIV-2).
    erased_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


# --- chats ------------------------------------------------------------------


# Chat History's indexes carry only the keys the search filters on, not the whole
# chat: a chat item changes with every message (last_seq), and a full projection
# would copy it into every history index each time.
HISTORY_FILTER_KEYS = [
    "status_key",
    "operator_key",
    "category_key",
    "rating_key",
    "channel_key",
]


def _history_index(name: str) -> type:
    return index_meta(name, IncludeProjection(HISTORY_FILTER_KEYS))


class ChatsByServiceIndex(GlobalSecondaryIndex["Chat"]):
    """History: a service's chats over a period, newest first."""

    Meta = _history_index("chats-by-service")
    service_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class _HistoryIndex(GlobalSecondaryIndex["Chat"]):
    created_at = UnicodeAttribute(range_key=True)


class HistoryByStatusIndex(_HistoryIndex):
    """History filtered by processed / unprocessed ("<service>#processed")."""

    Meta = _history_index("history-by-status")
    status_key = UnicodeAttribute(hash_key=True)


class HistoryByOperatorIndex(_HistoryIndex):
    """History filtered by the chat's operator ("<service>#<operator_id>")."""

    Meta = _history_index("history-by-operator")
    operator_key = UnicodeAttribute(hash_key=True)


class HistoryByChannelIndex(_HistoryIndex):
    """History filtered by channel ("<service>#<channel>")."""

    Meta = _history_index("history-by-channel")
    channel_key = UnicodeAttribute(hash_key=True)


class HistoryByRatingIndex(_HistoryIndex):
    """History filtered by rating score ("<service>#<score>")."""

    Meta = _history_index("history-by-rating")
    rating_key = UnicodeAttribute(hash_key=True)


class HistoryByEmailIndex(_HistoryIndex):
    """History searched by customer email ("<service>#<email, case-folded>")."""

    Meta = _history_index("history-by-email")
    email_key = UnicodeAttribute(hash_key=True)


class HistoryByNameIndex(_HistoryIndex):
    """History searched by customer name ("<service>#<name, case-folded>")."""

    Meta = _history_index("history-by-name")
    name_key = UnicodeAttribute(hash_key=True)


class HistoryByCustomerIndex(_HistoryIndex):
    """One customer's chats ("<service>#<customer_id>"): History's customer
    filter and a chat's count of earlier ones (R-VIS-1)."""

    Meta = index_meta("history-by-customer",
                      IncludeProjection([*HISTORY_FILTER_KEYS, "email_key", "name_key"]))
    customer_key = UnicodeAttribute(hash_key=True)


class ChatsByOperatorIndex(GlobalSecondaryIndex["Chat"]):
    Meta = index_meta("chats-by-operator", AllProjection())
    open_operator_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ChatQueueIndex(GlobalSecondaryIndex["Chat"]):
    Meta = index_meta("chat-queue", AllProjection())
    queued_service_id = UnicodeAttribute(hash_key=True)
    queued_at = UnicodeAttribute(range_key=True)


class ChatsByCategoryIndex(GlobalSecondaryIndex["Chat"]):
    """History filtered by category; also tells whether a category is in use."""

    Meta = _history_index("chats-by-category")
    category_key = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ChatsDueForSweepIndex(GlobalSecondaryIndex["Chat"]):
    """Sparse: chats the sweep must look at once `sweep_at` has passed (assigned
    but not yet opened, or held by an operator who went away)."""

    Meta = index_meta("chats-due-for-sweep", KeysOnlyProjection())
    sweep_shard = UnicodeAttribute(hash_key=True)
    sweep_at = UnicodeAttribute(range_key=True)


class ChatStatus(StrEnum):
    """A chat's life: queued → on an operator's list → opened by them → ended."""

    WAITING = "waiting"  # in the queue, no operator
    ASSIGNED = "assigned"  # on an operator's list, not opened yet
    ACTIVE = "active"  # the operator opened it
    ENDED = "ended"


# On an operator's list: the statuses in which a chat has its operator.
HELD_STATUSES = (ChatStatus.ASSIGNED, ChatStatus.ACTIVE)


@registered
class Chat(Model):
    """One conversation between a customer and (once assigned) an operator."""

    Meta = table_meta("chats")
    chat_id = UnicodeAttribute(hash_key=True)
    service_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    status = UnicodeAttribute()  # a ChatStatus
    processed = BooleanAttribute(default=False)
    # Routing hints: the customer's last operator (sticky assignment) and the
    # operator a requeued chat was taken from (tried last next time).
    sticky_operator_id = UnicodeAttribute(null=True)
    skip_operator_id = UnicodeAttribute(null=True)
    operator_id = UnicodeAttribute(null=True)
    operator_name = UnicodeAttribute(null=True)
    # Sparse index keys: set while the chat is on an operator's list / in the queue.
    open_operator_id = UnicodeAttribute(null=True)
    queued_service_id = UnicodeAttribute(null=True)
    queued_at = UnicodeAttribute(null=True)
    category_id = UnicodeAttribute(null=True)
    category_key = UnicodeAttribute(null=True)
    # History index keys ("<service_id>#<value>"), kept in step with the fields
    # they mirror by services/chat_index.py; sparse where the field is unset.
    status_key = UnicodeAttribute(null=True)
    operator_key = UnicodeAttribute(null=True)
    channel_key = UnicodeAttribute(null=True)
    rating_key = UnicodeAttribute(null=True)
    email_key = UnicodeAttribute(null=True)
    name_key = UnicodeAttribute(null=True)
    customer_key = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(default="widget")
    page_url = UnicodeAttribute(null=True)
    # The customer's language for this chat (R-I18N-2): its system messages' texts.
    language = UnicodeAttribute(null=True)
    # The cap (services/caps.py) of the address the chat was started from, which
    # it holds a place in until the customer leaves or the chat ends.
    address_cap = UnicodeAttribute(null=True)
    customer = JSONAttribute(default=dict)
    consent = JSONAttribute(null=True)
    rating = JSONAttribute(null=True)
    # The last message's seq once the chat has ended (End writes it from the
    # head, which has it while the chat is open).
    last_seq = NumberAttribute(default=0)
    # The operator it was transferred from, by the last transfer (R-TR-1).
    transferred_from = UnicodeAttribute(null=True)
    # Internal notes on it (the notes table): an export reads them only when any.
    note_count = NumberAttribute(null=True)
    # Sparse sweep index keys: set while the chat needs a later look by the sweep.
    sweep_shard = UnicodeAttribute(null=True)
    sweep_at = UnicodeAttribute(null=True)
    # Retention (R-PRIV-1): created_at + the service's retention_days; every
    # item of the chat (head, messages, notes, visit, files, search terms)
    # carries the same time, so they go together (services/retention.py).
    expires_at = TTLAttribute(null=True)
    # When its customer's personal data was erased (R-PRIV-2).
    erased_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    assigned_at = UnicodeAttribute(null=True)
    opened_at = UnicodeAttribute(null=True)
    first_response_at = UnicodeAttribute(null=True)
    customer_left_at = UnicodeAttribute(null=True)
    ended_at = UnicodeAttribute(null=True)

    by_service = ChatsByServiceIndex()
    by_operator = ChatsByOperatorIndex()
    queue = ChatQueueIndex()
    by_category = ChatsByCategoryIndex()
    due_for_sweep = ChatsDueForSweepIndex()
    history_by_status = HistoryByStatusIndex()
    history_by_operator = HistoryByOperatorIndex()
    history_by_channel = HistoryByChannelIndex()
    history_by_rating = HistoryByRatingIndex()
    history_by_email = HistoryByEmailIndex()
    history_by_name = HistoryByNameIndex()
    history_by_customer = HistoryByCustomerIndex()


@registered
class ChatHead(Model):
    """The part of an open chat that every message reads and writes: the last
    seq, who is listening (and each listener's frame allowance here), and the
    chat's state as far as sending needs it. It is an item apart from the chat,
    in a table without indexes, because the chat item's many history indexes
    make every write of it dearer (on AWS an index write of chats-by-operator
    per message; on DynamoDB Local twice the CPU). The transactions that change
    the chat's operator, or end it, or see the customer leave change the head
    too, so the two never disagree."""

    Meta = table_meta("chat_heads")
    chat_id = UnicodeAttribute(hash_key=True)
    service_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    # The name the customer gave (never an operator's edit): their messages carry it.
    customer_name = UnicodeAttribute(null=True)
    operator_id = UnicodeAttribute(null=True)  # the chat's operator, while it has one
    ended = BooleanAttribute(default=False)  # the chat's status is `ended`
    customer_left = BooleanAttribute(default=False)  # the chat's customer_left_at is set
    # The chat has its first response and is processed: an operator's message
    # no longer changes the chat item (until then it does, R-CH-1).
    replied = BooleanAttribute(default=False)
    last_seq = NumberAttribute(default=0)
    # Customer messages its operator has not seen yet (the console's unread
    # count, R-ALERT-1): a customer message adds one, the operator's message or
    # read mark (`POST /chats/{id}/read`) sets it back to 0.
    unread = NumberAttribute(null=True)
    # For the live monitor (R-SUP-1), kept by the message's own head update:
    # when the last message was sent, and since when the customer has waited
    # for a reply (their first message since the operator's last one).
    last_message_at = UnicodeAttribute(null=True)
    awaiting_since = UnicodeAttribute(null=True)
    # Who hears the chat and who speaks in it: its WebSocket connections, each
    # with who is on the other end (`role`, `subject`, `name`, an operator's
    # session `sid`). So a message is authenticated, rate limited, stored and
    # pushed from this one item. Every change of who is listening bumps `conns_version`, which a
    # message write checks, so a connection that joins (and then reads the
    # history) never misses a message written meanwhile.
    listeners: MapAttribute[str, Any] = MapAttribute(default=dict)
    conns_version = NumberAttribute(default=0)
    # Each sender's message allowance in this chat (subject id → GCRA arrival
    # time), one per customer or operator however many sockets they use
    # (R-SEC-4); written with the message it paid for.
    senders: MapAttribute[str, Any] = MapAttribute(null=True)
    # The chat's retention (R-PRIV-1): every message copies it.
    expires_at = TTLAttribute(null=True)


@registered
class Message(Model):
    """One message of a chat, numbered 1, 2, 3, … per chat."""

    Meta = table_meta("messages")
    chat_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    sender_role = UnicodeAttribute()  # customer | operator | system
    sender_id = UnicodeAttribute(null=True)
    sender_name = UnicodeAttribute(null=True)
    text = UnicodeAttribute()
    # The language of a system message's text (a service text in the chat's language).
    lang = UnicodeAttribute(null=True)
    client_msg_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    # A file sent with the message (R-ATT-1): {attachment_id, filename,
    # content_type, size, key}; `text` may then be "".
    attachment: MapAttribute[str, Any] = MapAttribute(null=True)
    expires_at = TTLAttribute(null=True)  # the chat's (R-PRIV-1)
    erased = BooleanAttribute(null=True)  # its text replaced by erasure (R-PRIV-2)



@registered
class Note(Model):
    """An internal note on a chat (R-NOTE-1), by an operator or admin, or the
    handover note of a transfer. Kept apart from the chat's messages: no path
    that reads messages (the widget, `chat.history`, transcripts, message
    webhooks) can carry one. `note_id` sorts by time."""

    Meta = table_meta("notes")
    chat_id = UnicodeAttribute(hash_key=True)
    note_id = UnicodeAttribute(range_key=True)
    service_id = UnicodeAttribute()
    author_id = UnicodeAttribute()
    author_name = UnicodeAttribute()
    text = UnicodeAttribute()
    kind = UnicodeAttribute(default="note")  # note | transfer (a handover note)
    created_at = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)  # the chat's (R-PRIV-1)
    erased = BooleanAttribute(null=True)  # its text replaced by erasure (R-PRIV-2)

# --- connections ------------------------------------------------------------


class ConnectionsBySubjectIndex(GlobalSecondaryIndex["Connection"]):
    """A customer's or operator's open connections (ids only: the frame
    allowance changes on every frame and is not worth an index write)."""

    Meta = index_meta("connections-by-subject", KeysOnlyProjection())
    subject_id = UnicodeAttribute(hash_key=True)


@registered
class Connection(Model):
    """An open WebSocket connection of a customer or an operator."""

    Meta = table_meta("connections")
    connection_id = UnicodeAttribute(hash_key=True)
    service_id = UnicodeAttribute()
    role = UnicodeAttribute()  # customer | operator | admin
    subject_id = UnicodeAttribute()  # customer_id or operator_id
    name = UnicodeAttribute(null=True)  # an operator's name, for their messages
    # An operator's sign-in session (the token's `sid`): logout ends its sockets,
    # and every frame checks it is still alive (R-SEC-2).
    session_id = UnicodeAttribute(null=True)
    ip = UnicodeAttribute(null=True)
    device = UnicodeAttribute(null=True)
    connected_at = UnicodeAttribute()
    expires_at = TTLAttribute()  # API Gateway closes a socket after 2 h at most
    # The chats whose `*_conns` name this connection, so closing it detaches it.
    chat_ids = UnicodeSetAttribute(null=True)
    # Frame rate limit (GCRA): the theoretical arrival time of the next frame, in
    # epoch seconds; updated conditionally with the frame's own writes.
    rate_tat = NumberAttribute(null=True)

    by_subject = ConnectionsBySubjectIndex()


# --- tickets ----------------------------------------------------------------


class TicketsByServiceIndex(GlobalSecondaryIndex["Ticket"]):
    Meta = index_meta("tickets-by-service", AllProjection())
    service_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


@registered
class Ticket(Model):
    """A help-desk ticket (R-TK-1, R-TK-2): made from a chat (channel `chat`) or
    from the widget's offline form (`offline_form`). `number` is the service's
    own #1, #2, … (services/tickets.py allocates it with a conditional counter)."""

    Meta = table_meta("tickets")
    ticket_id = UnicodeAttribute(hash_key=True)
    service_id = UnicodeAttribute()
    number = NumberAttribute(null=True)  # null only on tickets of older checkouts
    subject = UnicodeAttribute()
    body = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(default="chat")
    chat_id = UnicodeAttribute(null=True)
    customer = JSONAttribute(default=dict)
    requester = JSONAttribute(null=True)  # {name, email}: who replies are mailed to
    status = UnicodeAttribute(default="open")  # open | pending | solved
    assignee_id = UnicodeAttribute(null=True)
    category_id = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)  # the requester's, for mails
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    # Bumped by every change: a change is written over the version it read.
    version = NumberAttribute(default=0)
    # Retention (R-PRIV-1): created_at + the service's retention_days; its
    # thread, filters and search terms carry the same time.
    expires_at = TTLAttribute(null=True)
    erased_at = UnicodeAttribute(null=True)  # its requester's data erased (R-PRIV-2)

    by_service = TicketsByServiceIndex()


@registered
class TicketFilter(Model):
    """One way of listing a ticket (R-TK-2): `filter_key` is
    `<service_id>#<filter>` (status, assignee, channel and assignee+status),
    `at` is `<created_at>#<ticket_id>`, so each filter of the Tickets screen is
    one Query in time order; the item carries the ticket's status, assignee and
    channel, so a second filter is a FilterExpression on the same read."""

    Meta = table_meta("ticket_filters")
    filter_key = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)
    ticket_id = UnicodeAttribute()
    status = UnicodeAttribute()
    assignee = UnicodeAttribute()  # the assignee's id, or "-"
    channel = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)  # the ticket's (R-PRIV-1)


@registered
class TicketEntry(Model):
    """One entry of a ticket's thread: the request, or an operator's reply
    (emailed to the requester). `entry_id` sorts by time."""

    Meta = table_meta("ticket_entries")
    ticket_id = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)
    service_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # request | reply
    author_role = UnicodeAttribute()  # customer | operator
    author_id = UnicodeAttribute(null=True)
    author_name = UnicodeAttribute(null=True)
    text = UnicodeAttribute()
    email_status = UnicodeAttribute(default="none")  # none | queued | sent | failed
    created_at = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)  # the ticket's (R-PRIV-1)
    erased = BooleanAttribute(null=True)  # its text replaced by erasure (R-PRIV-2)


# --- tokens -----------------------------------------------------------------


@registered
class Token(Model):
    """Small keyed records: sessions, WebSocket tickets, login throttles and
    uniqueness guards. `token_key` is `<kind>#<id>`; `expires_at` is the TTL."""

    Meta = table_meta("tokens")
    token_key = UnicodeAttribute(hash_key=True)
    payload = JSONAttribute(default=dict)
    # (attribute `count`: the name is Model.count's in Python)
    failures = NumberAttribute(default=0, attr_name="count")
    until = NumberAttribute(null=True)
    # A cap's members (services/caps.py): the chats open from one address, …
    members = UnicodeSetAttribute(null=True)
    expires_at = TTLAttribute(null=True)

    @classmethod
    def take(cls, token_key: str, now_epoch: int) -> Token | None:
        """Delete and return a record that has not passed `until`: one caller wins."""
        return delete_returning(cls, token_key, cls.token_key.exists() & (cls.until >= now_epoch))


# --- statistics and exports -----------------------------------------------------


@registered
class DailyStats(Model):
    """Statistics counters of one service and UTC hour (a chat counts in the hour
    it was created), per quarter of the hour, so that any time zone's local days
    are sums of whole quarters (services/stats.py); added to in the same
    transaction as the change they count. Items of earlier versions hold one UTC
    day each (`day` without an hour) and are read as that day's noon."""

    Meta = table_meta("stats")
    service_id = UnicodeAttribute(hash_key=True)
    # YYYY-MM-DDTHH#<shard> (earlier: YYYY-MM-DD#<shard> or YYYY-MM-DD)
    day = UnicodeAttribute(range_key=True)
    # The chats created in the hour's minutes 0-14 (or, in an item of an earlier
    # version, the whole day) …
    chats = NumberAttribute(default=0)
    processed = NumberAttribute(default=0)
    first_response_sum_s = NumberAttribute(default=0)
    first_response_n = NumberAttribute(default=0)
    wait_sum_s = NumberAttribute(default=0)
    wait_n = NumberAttribute(default=0)
    rating_sum = NumberAttribute(default=0)
    rating_n = NumberAttribute(default=0)
    # … of the chats created in the hour's minutes 15-29
    chats_15 = NumberAttribute(null=True)
    processed_15 = NumberAttribute(null=True)
    first_response_sum_s_15 = NumberAttribute(null=True)
    first_response_n_15 = NumberAttribute(null=True)
    wait_sum_s_15 = NumberAttribute(null=True)
    wait_n_15 = NumberAttribute(null=True)
    rating_sum_15 = NumberAttribute(null=True)
    rating_n_15 = NumberAttribute(null=True)
    # … of the chats created in the hour's minutes 30-44
    chats_30 = NumberAttribute(null=True)
    processed_30 = NumberAttribute(null=True)
    first_response_sum_s_30 = NumberAttribute(null=True)
    first_response_n_30 = NumberAttribute(null=True)
    wait_sum_s_30 = NumberAttribute(null=True)
    wait_n_30 = NumberAttribute(null=True)
    rating_sum_30 = NumberAttribute(null=True)
    rating_n_30 = NumberAttribute(null=True)
    # … of the chats created in the hour's minutes 45-59
    chats_45 = NumberAttribute(null=True)
    processed_45 = NumberAttribute(null=True)
    first_response_sum_s_45 = NumberAttribute(null=True)
    first_response_n_45 = NumberAttribute(null=True)
    wait_sum_s_45 = NumberAttribute(null=True)
    wait_n_45 = NumberAttribute(null=True)
    rating_sum_45 = NumberAttribute(null=True)
    rating_n_45 = NumberAttribute(null=True)


class ExportStatus(StrEnum):
    PENDING = "pending"  # asked for; its worker has not started
    RUNNING = "running"  # a worker claimed it (API: still "pending")
    DONE = "done"
    FAILED = "failed"


UNFINISHED_EXPORTS = (ExportStatus.PENDING, ExportStatus.RUNNING)


@registered
class ExportJob(Model):
    """One Chat History export: its search, progress and the workbook on S3."""

    Meta = table_meta("exports")
    export_id = UnicodeAttribute(hash_key=True)
    service_id = UnicodeAttribute()
    created_by = UnicodeAttribute()
    search = JSONAttribute()
    # Who reads it (R-TZ-1, R-I18N-2): the service's time zone when it was asked
    # for, and the language of the console that asked.
    timezone = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # an ExportStatus
    rows = NumberAttribute(default=0)
    s3_key = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


# --- the workbench: canned responses and partial search ---------------------------


@registered
class CannedResponse(Model):
    """A canned response (R-CAN-1). `canned_id` starts with its set: `s.` for
    the service's, `p.<operator_id>.` for an operator's personal one."""

    Meta = table_meta("canned")
    service_id = UnicodeAttribute(hash_key=True)
    canned_id = UnicodeAttribute(range_key=True)
    scope = UnicodeAttribute()  # service | personal
    owner_id = UnicodeAttribute(null=True)  # the operator, for a personal one
    shortcut = UnicodeAttribute()
    title = UnicodeAttribute()
    text = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    # Bumped by every change: a change is made over the version it read.
    version = NumberAttribute(default=0)


@registered
class SearchTerm(Model):
    """One two-character piece of a record's folded customer name or email
    (services/search_terms.py): `term` is `<service_id>#<kind>#<piece>`, `at`
    is `<created_at>#<record id>#<field>`; `text` is the whole folded value,
    so a longer search is checked here, before the record is read."""

    Meta = table_meta("search_terms")
    term = UnicodeAttribute(hash_key=True)
    at = UnicodeAttribute(range_key=True)
    record_id = UnicodeAttribute()
    text = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)  # its chat's or ticket's (R-PRIV-1)


# --- email ------------------------------------------------------------------------


class MailDueIndex(GlobalSecondaryIndex["Mail"]):
    """Mail waiting to be (re)sent, by when: sparse (only unsent mail has `due`),
    read by the minute sweep for what the worker did not finish."""

    Meta = index_meta("mail-due", KeysOnlyProjection())
    due = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


@registered
class Mail(Model):
    """One email to send (R-MAIL-1), written with the change it tells of (so it
    is never lost) and sent after by the worker. `mail_id` is made from the event
    (`<kind>#<record>…`), so a retried request or worker sends it once."""

    Meta = table_meta("mail")
    mail_id = UnicodeAttribute(hash_key=True)
    service_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # ticket_confirmation | ticket_reply | transcript
    to = UnicodeAttribute()
    language = UnicodeAttribute(default="en")
    ref = JSONAttribute(default=dict)  # what to render: ticket/entry ids, chat id and seq
    status = UnicodeAttribute(default="pending")  # pending | sending | sent | failed
    attempts = NumberAttribute(default=0)
    due = UnicodeAttribute(null=True)  # "due" while unsent (the sparse index)
    due_at = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)  # SES's
    created_at = UnicodeAttribute()
    sent_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)

    by_due = MailDueIndex()


@registered
class Attachment(Model):
    """A file asked for in a chat (R-ATT-1): what its uploader declared, then,
    once checked and sent, the message it belongs to. A pending one expires
    after a day (TTL; its upload is deleted by the bucket's lifecycle rule); a
    sent one stays as long as its chat."""

    Meta = table_meta("attachments")
    attachment_id = UnicodeAttribute(hash_key=True)
    service_id = UnicodeAttribute()
    chat_id = UnicodeAttribute()
    chat_date = UnicodeAttribute()  # the chat's day (YYYY-MM-DD), in its object's key
    uploader_id = UnicodeAttribute()
    uploader_role = UnicodeAttribute()  # customer | operator
    filename = UnicodeAttribute()  # cleaned
    content_type = UnicodeAttribute()  # declared, then checked against the bytes
    size = NumberAttribute()  # declared, then checked
    status = UnicodeAttribute(default="pending")  # pending | sent | refused
    key = UnicodeAttribute(null=True)  # the checked object's key, once sent
    seq = NumberAttribute(null=True)
    client_msg_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    sent_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)


@registered
class Block(Model):
    """A visitor blocked in a service (R-BLK-1), and optionally their address,
    until `until` (TTL); the lookups the widget's paths check are in `tokens`."""

    Meta = table_meta("blocks")
    service_id = UnicodeAttribute(hash_key=True)
    block_id = UnicodeAttribute(range_key=True)
    customer_id = UnicodeAttribute()
    customer_name = UnicodeAttribute(null=True)  # as the chat had it, for the admins' list
    ip = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(default="")
    chat_id = UnicodeAttribute(null=True)
    until = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_by_name = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)


@registered
class Visit(Model):
    """The pages a chat's customer viewed while it was open (R-VIS-1): the
    referrer of the first and the last 20, oldest first. Kept apart from the
    chat and its head (the message path reads the head: it stays small)."""

    Meta = table_meta("visits")
    chat_id = UnicodeAttribute(hash_key=True)
    service_id = UnicodeAttribute()
    referrer = UnicodeAttribute(null=True)
    pages = JSONAttribute(default=list)  # [{url, title, at}]
    last_at = NumberAttribute(default=0)  # epoch seconds of the last page kept
    version = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)  # the chat's (R-PRIV-1)


# --- webhooks ---------------------------------------------------------------------


@registered
class Webhook(Model):
    """An admin's HTTPS endpoint hearing some of a service's events (R-HOOK-1).
    `secret` signs each delivery (shown once, at creation and rotation);
    `failing_since` is when its deliveries began to fail without a success
    since; three days of that disable it with `disabled_reason`."""

    Meta = table_meta("webhooks")
    service_id = UnicodeAttribute(hash_key=True)
    webhook_id = UnicodeAttribute(range_key=True)
    url = UnicodeAttribute()
    events = JSONAttribute(default=list)
    enabled = BooleanAttribute(default=True)
    disabled_reason = UnicodeAttribute(null=True)
    failing_since = UnicodeAttribute(null=True)
    secret = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=0)


class DeliveriesDueIndex(GlobalSecondaryIndex["WebhookDelivery"]):
    """Deliveries waiting for an attempt, by when: sparse (only pending ones
    have `due`), read by the minute sweep for any whose queue message was lost."""

    Meta = index_meta("webhook-deliveries-due", KeysOnlyProjection())
    due = UnicodeAttribute(hash_key=True)
    next_attempt_at = UnicodeAttribute(range_key=True)


@registered
class WebhookDelivery(Model):
    """One event for one webhook, recorded when the event happens and sent by
    the queue's sender: attempts, the last outcome, the body it sends (the
    same on every attempt). Ids sort by creation, so the log reads newest
    first. Kept 30 days."""

    Meta = table_meta("webhook_deliveries")
    webhook_id = UnicodeAttribute(hash_key=True)
    delivery_id = UnicodeAttribute(range_key=True)
    service_id = UnicodeAttribute()
    event = UnicodeAttribute()
    body = UnicodeAttribute()  # the JSON sent, exactly
    status = UnicodeAttribute(default="pending")  # pending | delivered | failed
    attempts = NumberAttribute(default=0)
    # Attempts before this round of the retry schedule (a redelivery starts one).
    round_base = NumberAttribute(default=0)
    # An attempt is claimed (attempts + 1) until `lease_until` (epoch s): a
    # duplicate queue message or the sweep meanwhile does not send it again.
    lease_until = NumberAttribute(null=True)
    last_status_code = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    last_attempt_at = UnicodeAttribute(null=True)
    due = UnicodeAttribute(null=True)  # "due" while pending (the sparse index)
    next_attempt_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)

    by_due = DeliveriesDueIndex()


# --- audit ------------------------------------------------------------------------


class AuditByActionIndex(GlobalSecondaryIndex["AuditEntry"]):
    """A service's entries of one action, by time (`<service>#<action>`)."""

    Meta = index_meta("audit-by-action", AllProjection())
    service_action = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)


@registered
class AuditEntry(Model):
    """One admin-relevant action (R-AUD-1): who (an operator, or nobody: the
    system), from where, what, on what, with what detail (field names, never
    values that are secrets or message text). Written once, never changed;
    gone after two years (TTL). `entry_id` is `<ISO time>#<random>`: a
    service's entries sort by time."""

    Meta = table_meta("audit")
    service_id = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)
    service_action = UnicodeAttribute()
    at = UnicodeAttribute()
    action = UnicodeAttribute()
    actor = JSONAttribute(null=True)  # {operator_id, name, role}
    target = UnicodeAttribute(null=True)
    ip = UnicodeAttribute(null=True)
    detail = JSONAttribute(default=dict)
    expires_at = TTLAttribute(null=True)

    by_action = AuditByActionIndex()


# --- background jobs ------------------------------------------------------------------


class JobsDueIndex(GlobalSecondaryIndex["Job"]):
    """Jobs not finished, by when they should next run: sparse (only unfinished
    jobs have `due`), read by the minute sweep to resume a job whose worker died."""

    Meta = index_meta("jobs-due", KeysOnlyProjection())
    due = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


@registered
class Job(Model):
    """A resumable background job over many items (services/jobs.py): retention
    recomputed after a change of `retention_days`, files past retention
    deleted, a customer's data erased. Its worker holds a lease while it runs
    and records where it is (`stage`, `cursor`) and what it did (`counts`)
    after each page, so another worker (the sweep's) carries on where it
    stopped. `run` is bumped when the job is asked for again: a worker of an
    earlier run then stops at its next page."""

    Meta = table_meta("jobs")
    job_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # retention | files | erasure
    service_id = UnicodeAttribute()
    params = JSONAttribute(default=dict)
    status = UnicodeAttribute(default="pending")  # pending | running | done | failed
    run = NumberAttribute(default=1)
    stage = UnicodeAttribute(null=True)
    cursor = JSONAttribute(null=True)
    counts = JSONAttribute(default=dict)
    holder = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)  # epoch seconds
    error = UnicodeAttribute(null=True)
    due = UnicodeAttribute(null=True)  # "due" while unfinished (the sparse index)
    due_at = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)

    by_due = JobsDueIndex()
