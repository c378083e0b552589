"""History export jobs (R-CH-4, R-CON-10): start a job, let the export worker
(a Lambda invoked asynchronously) write the workbook to S3, poll its progress, and
hand out a presigned link to the .xlsx."""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib import auth, aws, clock, config, observe, token_keys, validate
from chalicelib.errors import InvalidInput, LimitReached, Unavailable
from chalicelib.models import (
    UNFINISHED_EXPORTS,
    Chat,
    ExportJob,
    ExportStatus,
    Message,
    Service,
    failed_tables,
    transaction,
)
from chalicelib.services import (
    access,
    audit,
    caps,
    categories,
    heads,
    history,
    messages,
    notes,
    retries,
    settings,
)
from chalicelib.services.access import Actor
from chalicelib.services.chat_json import ChatView, chat_json

log = logging.getLogger("helpdesk.exports")

JOB_TTL = timedelta(days=7)
MAX_PERIOD = timedelta(days=366)  # one export covers at most a year (R-SEC-4)
MAX_RUNNING = 2  # exports running at once in one service
WORKER_LIMIT = timedelta(minutes=16)  # a worker Lambda runs 15 minutes at most
RUNNING_KEPT = timedelta(minutes=30)  # the running cap's record outlives its last job
SAVE_ATTEMPTS = 10
LINK_TTL_S = 3600
PROGRESS_EVERY = 500
CHUNK = 100  # chats whose messages are read in one go

Launcher = Callable[[str], None]


def start(actor: Actor, search: history.HistoryFilter, launch: Launcher, *,
          language: str | None = None, timezone: str = "UTC") -> ExportJob:
    """Record a pending job for the search, then start the worker. An export
    covers at most MAX_PERIOD, and at most MAX_RUNNING run at once in a service
    (R-SEC-4): each is a worker of up to 15 minutes. Its times are written in
    `timezone`, its headers and values in `language` (else the service's)."""
    if clock.parse_iso(search.end) - clock.parse_iso(search.start) > MAX_PERIOD:
        raise InvalidInput("from", f"an export covers at most {MAX_PERIOD.days} days; "
                           "export a longer period in parts", "period_too_long")
    if language not in settings.LANGUAGES:
        # Decided here, so the worker needs nothing of the service to write it.
        language = settings.current(Service.get(actor.service_id))["default_language"]
    now = clock.now()
    job = ExportJob(
        export_id=auth.new_id("ex"),
        service_id=actor.service_id,
        created_by=actor.subject_id,
        search=asdict(search),
        timezone=timezone,
        language=language,
        status=ExportStatus.PENDING,
        rows=0,
        created_at=clock.iso(now),
        expires_at=now + JOB_TTL,
    )
    _save_within_cap(job, now)
    try:
        launch(job.export_id)
    except Exception as error:
        # The job must not sit "pending" forever when its worker never started.
        log.exception("could not start the export worker for %s", job.export_id)
        _finish(job, failed="worker_not_started")
        raise Unavailable("the export could not be started; try again") from error
    return job


@dataclass(frozen=True)
class ExportRequest:
    """`POST /history/exports`, checked: the search (its dates local days of
    `zone`), the zone its times are written in, and the reader's language, if
    given (the console sends its own)."""

    search: history.HistoryFilter
    timezone: str
    language: str | None

    @classmethod
    def checked(cls, body: Any, zone: ZoneInfo) -> ExportRequest:
        body = {} if body is None else body
        search = history.parse_filter(body, zone=zone)  # refuses a body that is no object
        language = None if body.get("language") in (None, "") else validate.choice(
            body, "language", settings.LANGUAGES)
        return cls(search, str(zone), language)


def _running_cap(service_id: str) -> str:
    return token_keys.running_exports(service_id)


def _export_detail(job: ExportJob) -> dict[str, Any]:
    """The period and which filters (their names: a search text is the
    customer's words, not the audit's)."""
    search = dict(job.search or {})
    filters = sorted(k for k, v in search.items() if k not in ("start", "end") and v is not None)
    return {"from": search.get("start"), "to": search.get("end"), "filters": filters}


def _save_within_cap(job: ExportJob, now: datetime) -> None:
    """Save the job holding a place among the service's running exports."""
    pruned = False

    def attempt(_: int) -> None:
        nonlocal pruned
        try:
            with transaction() as writes:
                writes.save(job, condition=ExportJob.export_id.does_not_exist())
                audit.add_to(writes, job.service_id, "export.create", job.export_id,
                             _export_detail(job))
                caps.take_in(writes, _running_cap(job.service_id), job.export_id,
                             limit=MAX_RUNNING, keep_until=now + RUNNING_KEPT)
        except TransactWriteError as exc:
            if failed_tables(writes, exc).get("tokens") != "ConditionalCheckFailed":
                raise  # another request wrote the cap meanwhile: again
            if not pruned and _free_finished_places(job.service_id, now):
                pruned = True
                raise retries.Retry from exc
            raise LimitReached(f"{MAX_RUNNING} exports are running already; wait for one "
                               "to finish", "too_many_exports") from exc

    retries.until_committed(attempt, attempts=SAVE_ATTEMPTS,
                            busy="too many exports are being started at once; try again")


def _free_finished_places(service_id: str, now: datetime) -> bool:
    """Places held by jobs that are done, failed, or whose worker has been gone
    longer than a worker can run (marked failed here): given back. True when
    any place was freed."""
    key = _running_cap(service_id)
    held = sorted(caps.members(key))
    jobs = {job.export_id: job for job in ExportJob.batch_get(held)} if held else {}
    freed = set()
    for export_id in held:
        job = jobs.get(export_id)
        if job is None or job.status not in UNFINISHED_EXPORTS:
            freed.add(export_id)
        elif clock.parse_iso(job.created_at) < now - WORKER_LIMIT:
            _finish(job, failed="worker_lost")
            freed.add(export_id)
    caps.prune(key, freed)
    return bool(freed)


def _claim(export_id: str) -> ExportJob | None:
    """The job, claimed for this worker (`pending` → `running`, conditionally);
    None when it is not pending: Lambda delivers an asynchronous invocation at
    least once, and a second one must not write the workbook again."""
    job = ExportJob(export_id=export_id)
    try:
        job.update(actions=[ExportJob.status.set(ExportStatus.RUNNING)],
                   condition=ExportJob.status == ExportStatus.PENDING)
    except UpdateError as error:
        if retries.lost_race(error):
            return None
        raise
    return job


def _finish(job: ExportJob, *, failed: str | None = None, rows: int = 0,
            s3_key: str | None = None) -> None:
    """Done (or failed): the job says so and gives back its place, at once."""
    actions: list[Action] = [ExportJob.finished_at.set(clock.iso(clock.now()))]
    if failed:
        actions += [ExportJob.status.set(ExportStatus.FAILED), ExportJob.error.set(failed)]
    else:
        actions += [ExportJob.status.set(ExportStatus.DONE), ExportJob.rows.set(rows)]
    if s3_key:
        actions.append(ExportJob.s3_key.set(s3_key))
    with transaction() as writes:
        writes.update(job, actions=actions, condition=ExportJob.status.is_in(*UNFINISHED_EXPORTS))
        caps.give_back_in(writes, _running_cap(job.service_id), job.export_id)


def get_job(actor: Actor, export_id: Any) -> ExportJob:
    return access.owned_item(ExportJob, export_id, actor, "export")


@dataclass(frozen=True)
class ExportView:
    """A job as `GET /history/exports/{id}` shows it: with a fresh download link
    once it is done."""

    job: ExportJob
    url: str | None


def view(actor: Actor, export_id: Any) -> ExportView:
    job = get_job(actor, export_id)
    return ExportView(job, download_url(job) if job.status == ExportStatus.DONE else None)


def to_json(view: ExportView) -> dict[str, Any]:
    job = view.job
    return {
        "export_id": job.export_id,
        # A job a worker runs is still "pending" to the API (API.md).
        "status": ExportStatus.PENDING if job.status == ExportStatus.RUNNING else job.status,
        "rows": int(job.rows or 0),
        "url": view.url,
        "error": job.error,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


# --- the worker ---------------------------------------------------------------------


def bucket() -> str:
    return config.exports_bucket()


def _s3() -> Any:
    return aws.client("s3", endpoint_url=config.s3_endpoint())


def job_zone(job: ExportJob) -> ZoneInfo:
    return ZoneInfo(job.timezone or "UTC")


def file_name(job: ExportJob) -> str:
    """`chat-history-<local date of the request>-<id>.xlsx` (R-TZ-1)."""
    day = clock.parse_iso(job.created_at).astimezone(job_zone(job)).date().isoformat()
    return f"chat-history-{day}-{job.export_id[-6:]}.xlsx"


def download_url(job: ExportJob) -> str:
    filename = file_name(job)
    return _s3().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket(),
            "Key": job.s3_key,
            "ResponseContentDisposition": f'attachment; filename="{filename}"',
            "ResponseContentType": (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            ),
        },
        ExpiresIn=LINK_TTL_S,
    )


def _chunks(chats: Iterator[Chat], size: int) -> Iterator[list[Chat]]:
    chunk: list[Chat] = []
    for chat in chats:
        chunk.append(chat)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _chunk_with_messages(chunk: list[Chat]) -> tuple[list[Chat], dict[str, list[Message]]]:
    return chunk, _messages_of(chunk)


def _messages_of(chunk: list[Chat]) -> dict[str, list[Message]]:
    """The messages of a few chats by BatchGetItem: seqs run 1…last_seq with no
    gap, so their keys are known, and 100 keys cost one request, not one Query
    per chat. (An open chat's last seq is on its head: one more BatchGetItem
    for the chunk's open chats, if it has any.)"""
    last = heads.last_seqs(chunk)
    keys = [(chat_id, seq) for chat_id, n in last.items() for seq in range(1, n + 1)]
    found: dict[str, list[Message]] = {chat.chat_id: [] for chat in chunk}
    for message in Message.batch_get(keys):
        found[message.chat_id].append(message)
    for listed in found.values():
        listed.sort(key=lambda m: int(m.seq))
    return found


def _with_messages(chats: Iterator[Chat]) -> Iterator[tuple[Chat, list[Message]]]:
    """Each chat with its messages; the next chunk is read while this one is
    written, and memory holds two chunks at most."""
    with ThreadPoolExecutor(max_workers=1) as reader:
        pending: Future[tuple[list[Chat], dict[str, list[Message]]]] | None = None
        for chunk in _chunks(chats, CHUNK):
            ready = pending.result() if pending else None
            pending = reader.submit(_chunk_with_messages, chunk)
            if ready:
                yield from ((chat, ready[1][chat.chat_id]) for chat in ready[0])
        if pending:
            ready = pending.result()
            yield from ((chat, ready[1][chat.chat_id]) for chat in ready[0])


def _transcript_rows(chat: Chat, found: list[Message]) -> list[dict[str, Any]]:
    """The messages sheet's rows of a chat: its messages and, marked by their
    kind, its internal notes (R-NOTE-1), in time order (a chat without notes
    costs no read)."""
    rows = [messages.message_json(m, links=False) for m in found]
    if not chat.note_count:
        return rows
    for note in notes.read(chat.chat_id):
        rows.append({
            "chat_id": chat.chat_id,
            "seq": None,
            "kind": note.kind or notes.NOTE_KIND,
            "created_at": note.created_at,
            "sender": {"role": "operator", "name": note.author_name},
            "text": note.text,
        })
    return sorted(rows, key=lambda row: (row["created_at"] or "", row["seq"] or 0))


def _language(job: ExportJob) -> str:
    """The language the export was asked in (its service's default when the
    request named none); English for a job of a version before languages."""
    return str(job.language) if job.language in settings.LANGUAGES else "en"


def run(export_id: str) -> None:
    """The export worker: write every matching chat to a workbook on S3."""
    from chalicelib.services import workbook  # openpyxl only in the worker

    job = _claim(export_id)
    if job is None:
        return  # another invocation runs it, or it has finished (at-least-once delivery)
    observe.tag(service_id=job.service_id)
    started = time.monotonic()
    search = history.HistoryFilter(**job.search)
    key = f"exports/{job.service_id}/{job.export_id}.xlsx"

    def progress(rows: int) -> None:
        job.update(actions=[ExportJob.rows.set(rows)])

    transcript: dict[str, list[dict[str, Any]]] = {}
    paths = categories.paths(job.service_id)

    def chats_as_json() -> Iterator[dict[str, Any]]:
        for chat, found in _with_messages(history.all_matching(job.service_id, search)):
            transcript[chat.chat_id] = _transcript_rows(chat, found)
            last_seq = int(found[-1].seq) if found else 0
            path = paths.get(chat.category_id or "", [])
            yield chat_json(ChatView(chat, last_seq=last_seq, category_path=path))

    def messages_of(chat: dict[str, Any]) -> list[dict[str, Any]]:
        return transcript.pop(chat["chat_id"], [])

    try:
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as scratch:
            rows = workbook.write_workbook(
                scratch.name, chats_as_json(), messages_of, progress, PROGRESS_EVERY,
                zone=job_zone(job), language=_language(job),
            )
            _s3().upload_file(scratch.name, bucket(), key)
    except Exception as error:
        _finish(job, failed=type(error).__name__)
        raise
    _finish(job, rows=rows, s3_key=key)
    took_ms = (time.monotonic() - started) * 1000
    observe.measure(observe.EXPORT_DURATION, took_ms, observe.MILLISECONDS)
    log.info("export %s: %d chats in %.0f ms", job.export_id, rows, took_ms)


# --- starting the worker ------------------------------------------------------------


def launcher() -> Launcher:
    """How a job's worker is started: an asynchronous Lambda invocation (on AWS,
    or the local gateway's), or in-process when EXPORT_INVOKE=inline (tests)."""
    if config.exports_inline():
        return run

    def invoke(export_id: str) -> None:
        import json

        client = aws.client("lambda", endpoint_url=config.lambda_endpoint())
        client.invoke(
            FunctionName=config.export_function(),
            InvocationType="Event",
            Payload=json.dumps({"export_id": export_id}).encode(),
        )

    return invoke
