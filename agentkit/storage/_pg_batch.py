"""PostgreSQL's write transactions sent in batches: statements go to the server together, as one query, when a result
is asked for or at COMMIT, and several transactions in a row share a query (``Queue``).

One query is one round trip and one wait: on threads that fight for the GIL, each wait is a GIL hand-off, which under
load costs more wall time than the transaction's own work (10-14 ms a transaction for ~0.6 ms of CPU, s7). A lane
(``PostgresDatabase.run_each``) therefore keeps the whole of a transaction that asked for no result before its
COMMIT queued, and sends it with the next transaction's statements: a run of such transactions is one round trip.

PostgreSQL runs the statements of one query in order and stops at the first that fails: those before it have run
(a transaction whose COMMIT came before it has committed), those after it have not. ``_BatchCursor`` keeps the
results of the statements that ran, so the queue knows which transaction failed: it alone is rolled back and fails,
and the statements after it are sent again (on a new connection if the failure took the connection with it).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from ._pg_rows import row_maker

if TYPE_CHECKING:
    import psycopg
    from psycopg.pq.abc import PGresult

    from ._pg_prepared import PreparedStatements, Session

__all__ = ["Batch", "BatchedCursor", "Queue", "Rows"]

_TUPLES_OK = 2  # psycopg.pq.ExecStatus.TUPLES_OK
_FATAL_ERROR = 7  # psycopg.pq.ExecStatus.FATAL_ERROR
_OK = frozenset({0, 1, _TUPLES_OK})  # with EMPTY_QUERY and COMMAND_OK: a statement's results that are no error


class Rows:
    """A statement's rows and row count, read like a psycopg cursor's (``_base.Cursor``)."""

    __slots__ = ("_rowcount", "_rows")

    def __init__(self, rows: list[Any] | None = None, rowcount: int = -1) -> None:
        self._rows = rows
        self._rowcount = rowcount

    @property
    def rowcount(self) -> int:
        self._wait()
        return self._rowcount

    def fetchone(self) -> Any:
        rows = self._wait()
        return rows.pop(0) if rows else None

    def fetchall(self) -> list[Any]:
        rows = self._wait()
        self._rows = []
        return rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())

    def _wait(self) -> list[Any]:
        assert self._rows is not None
        return self._rows


class BatchedCursor(Rows):
    """A statement of a batched transaction: its rows and row count are there once the batch that carried it is
    back; asking for them sends the batch (this statement and every one queued before it) first."""

    __slots__ = ("_batch",)

    def __init__(self, batch: Batch) -> None:
        super().__init__()
        self._batch = batch

    def settle(self, rows: list[Any], rowcount: int) -> None:
        self._rows, self._rowcount = rows, rowcount

    def _wait(self) -> list[Any]:
        if self._rows is None:
            self._batch.send()
        assert self._rows is not None  # send() settles every statement it carried, or raises
        return self._rows


class _Statement(NamedTuple):
    sql: str
    params: tuple[object, ...]
    target: BatchedCursor | None  # None: nobody reads its result
    owner: Batch


class Batch:
    """One write transaction's statements, queued on a ``Queue``. ``sent``: some of them have gone to the server
    (its transaction is open there); ``failure``: the error its transaction failed with, in a send another
    transaction asked for."""

    __slots__ = ("failure", "queue", "resent", "sent")

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self.sent = False
        self.resent = False  # sent again once already, its connection's prepared statements lost (``_recover``)
        self.failure: Exception | None = None
        queue.queued.append(_Statement("BEGIN", (), None, self))

    def add(self, sql: str, params: tuple[object, ...] = (), *, read: bool = True) -> BatchedCursor:
        cursor = BatchedCursor(self)  # its own ";" would make an empty statement, and a result more than queued
        self.queue.queued.append(_Statement(sql.rstrip().rstrip(";"), params, cursor if read else None, self))
        return cursor

    def send(self) -> None:
        """Send what is queued on its connection, this transaction's statements with it; raise its failure."""
        self.queue.send(self)

    def drop(self) -> None:
        """Forget the statements of this transaction not sent yet (it raised before its COMMIT)."""
        self.queue.queued = [statement for statement in self.queue.queued if statement.owner is not self]


class Queue:
    """The statements queued on one connection and not sent yet: of one transaction, or of several in a row (each
    from its BEGIN to its COMMIT, the last one possibly still open). ``replace``: gives a new connection for one that
    broke, so that the statements a failure left unsent can be sent again; None: they fail too. ``prepared``: the
    database's prepared statements (``_pg_prepared``); None: every statement as literals."""

    def __init__(
        self,
        raw: psycopg.Connection[Any],
        replace: Callable[[psycopg.Connection[Any]], psycopg.Connection[Any]] | None = None,
        prepared: PreparedStatements | None = None,
    ) -> None:
        self.raw = raw
        self.queued: list[_Statement] = []
        self._replace = replace
        self._prepared = prepared
        self._one_by_one = False  # after a failure before anything was sent: each transaction alone

    def send(self, asking: Batch | None = None) -> None:
        """Send what is queued and settle each statement's cursor with its rows. A transaction that fails is
        rolled back and keeps its error (``Batch.failure``), raised here if it is ``asking``'s; the statements
        after it are sent again."""
        while self.queued:
            size = _first_owners(self.queued) if self._one_by_one else len(self.queued)
            queued, self.queued = self.queued[:size], self.queued[size:]
            ran, error = self._execute(queued)
            if error is not None:
                self._recover(queued, ran, error)
        self._one_by_one = False
        if asking is not None and asking.failure is not None:
            raise asking.failure

    def left_open(self, besides: Batch | None = None) -> bool:
        """Whether a transaction (other than ``besides``) is open on the server with statements still queued. Only
        the first queued can be (a look at one statement, not at each: this is asked after each transaction): a
        send takes every statement queued, so those queued since are of the transaction that asked for it, first,
        and of transactions that began after it, none of which was sent."""
        if not self.queued:
            return False
        first = self.queued[0].owner
        return first is not besides and first.sent

    def _execute(self, queued: list[_Statement]) -> tuple[int | None, Exception | None]:
        """``(statements that ran, error)``: ``(len(queued), None)`` if all did; ``ran`` None if it is not known."""
        for statement in queued:
            statement.owner.sent = True
        link = _link(self.raw)
        session = None
        if self._prepared is not None:
            session = self._prepared.session(self.raw, (statement.sql for statement in queued))
        try:
            results = link.run(_query(link, queued, session))
        except Exception as error:
            return None, error
        ran, failure = _failure(results, len(queued), link.encoding)
        if ran:
            _settle(link, queued[:ran], results[:ran])
        return ran, failure

    def _recover(self, queued: list[_Statement], ran: int | None, error: Exception) -> None:
        if ran is None:  # no result came back
            if self._usable() and self.raw.info.transaction_status == _IDLE and _first_owners(queued) < len(queued):
                self._one_by_one = True  # nothing reached the server (a value psycopg cannot send?): find whose
                self.queued = queued + self.queued
                return
            for statement in queued:  # where it failed is not known: each of its transactions fails
                statement.owner.failure = error
            self.roll_back()
            return
        failed = queued[ran].owner
        failed.failure = error
        self.roll_back()
        rest = [statement for statement in queued[ran:] if statement.owner is not failed]
        if self._prepared is not None and self._prepared.lost(self.raw, error):
            rest = self._again(failed, queued) or rest
        if rest and not self._usable():
            if self._replace is None:
                for statement in rest:
                    statement.owner.failure = error
                return
            try:
                self.raw = self._replace(self.raw)
            except Exception as replacing:  # no connection to send them on: they fail
                for statement in rest:
                    statement.owner.failure = replacing
                return
        self.queued = rest + self.queued  # not run: the transactions after the one that failed, whole

    def _again(self, failed: Batch, queued: list[_Statement]) -> list[_Statement] | None:
        """The statements from ``failed``'s BEGIN on, to send again: it failed for a prepared statement of its
        connection (lost, or its plan's columns changed), not for what it asked. None if some of its statements went
        in an earlier query (their results may have been read), or if it was sent again already."""
        begin = next((i for i, statement in enumerate(queued) if statement.owner is failed), len(queued))
        if failed.resent or begin == len(queued) or queued[begin].sql != "BEGIN":
            return None
        failed.resent, failed.failure = True, None
        return queued[begin:]

    def _usable(self) -> bool:
        return not self.raw.broken and not self.raw.closed

    def roll_back(self) -> None:
        """End the transaction left open on the connection, if one is (a connection that cannot is closed)."""
        if self._usable() and self.raw.pgconn.transaction_status != _IDLE:
            try:
                self.raw.execute("ROLLBACK")
            except Exception:
                self.raw.close()  # closing a session rolls it back too


def _first_owners(queued: list[_Statement]) -> int:
    """How many statements at the head of ``queued`` are of its first transaction."""
    first = queued[0].owner
    return next((i for i, statement in enumerate(queued) if statement.owner is not first), len(queued))


_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE


def _settle(link: _Link, statements: list[_Statement], results: list[PGresult]) -> None:
    """Each read statement's cursor settled with its result; a statement nobody reads (BEGIN, a lock, COMMIT, a
    blind write: about half of them) costs nothing here."""
    for (_, _, target, _), result in zip(statements, results, strict=True):
        if target is not None:
            target.settle(link.rows(result), _rowcount(result))


def _query(link: _Link, queued: list[_Statement], session: Session | None = None) -> bytes:
    """The statements as one query, their values bound client-side: each statement's SQL split at its ``%s`` once
    (``_template``) and its values' literals put between the parts. psycopg would parse the whole query again at
    every batch (a batch of more than 50 values or 4 KB is never in its cache: 4-5 % of the event loop's samples
    with the lanes on it), and the same few statements make every batch. A statement prepared on the connection
    (``session``) goes as ``EXECUTE name(literal, ...)``."""
    as_literal, encoding = link.literal, link.encoding
    pieces: list[bytes] = []
    for position, (sql, params, _, _) in enumerate(queued):
        if position:
            pieces.append(b"\n;\n")  # ";" alone: a statement may end in a comment
        prepared = session.statement(sql) if session is not None else None
        execute = prepared.execute(params, as_literal) if prepared is not None else None
        if execute is not None:
            pieces.append(execute)
            continue
        parts = _template(sql, encoding)
        if len(parts) != len(params) + 1:
            raise _programming_error(
                f"the query has {len(parts) - 1} placeholders but {len(params)} parameters were passed"
            )
        pieces.append(parts[0])
        for value, part in zip(params, parts[1:], strict=True):
            pieces.append(as_literal(value))
            pieces.append(part)
    return b"".join(pieces)


@lru_cache(maxsize=1024)
def _template(sql: str, encoding: str) -> tuple[bytes, ...]:
    """``sql`` in psycopg's marks (``%s`` a value, ``%%`` a ``%``) as the parts between its values, in the
    connection's client encoding (a Python codec name), as psycopg encodes a query."""
    parts: list[str] = []
    current: list[str] = []
    chars = iter(sql)
    for char in chars:
        if char != "%":
            current.append(char)
            continue
        mark = next(chars, "")
        if mark == "%":
            current.append("%")
        elif mark == "s":
            parts.append("".join(current))
            current = []
        else:
            raise _programming_error(f"only '%s' and '%%' are placeholders here, not '%{mark}'")
    parts.append("".join(current))
    return tuple(part.encode(encoding) for part in parts)


def _programming_error(message: str) -> Exception:
    from psycopg import ProgrammingError

    return ProgrammingError(message)


_LINKS: weakref.WeakKeyDictionary[Any, _Link] = weakref.WeakKeyDictionary()


def _link(raw: psycopg.Connection[Any]) -> _Link:
    """The connection's ``_Link``, kept for its next transaction (its two transformers are built once)."""
    link = _LINKS.get(raw)
    if link is None:
        link = _LINKS[raw] = _Link(raw)
    return link


class _Link:
    """A connection's batches straight through libpq: a query of literal text sent as ``ClientCursor.execute``
    sends it (the simple query protocol: several statements in one), its results, and the rows of each result read.
    A cursor's ``execute`` costs ~35 us more a batch: it converts the query again, keeps its preparation books,
    builds a transformer and makes the first result (a BEGIN's) current, row maker and all; here a result costs its
    rows only if one is read. Its rows are ``PgRow``s, whatever the connection's ``row_factory``."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        from psycopg.adapt import Transformer
        from psycopg.generators import execute

        self.raw = raw
        plain = raw.info.parameter_status("standard_conforming_strings") == "on"
        self._utf8 = plain and raw.info.encoding == "utf-8"  # else psycopg quotes each str
        self._dumping = Transformer(raw)
        self._loading = Transformer(raw)
        self.encoding: str = self._dumping.encoding  # the client encoding, as a Python codec name
        self._execute = execute

    def run(self, query: bytes) -> list[PGresult]:
        """Send ``query`` and return its results: those of the statements PostgreSQL ran, the last one failed if one
        did (``_failure``). Raises if the connection fails."""
        raw = self.raw
        with raw.lock:
            if raw.closed:
                raise _operational_error("the connection is closed")
            raw.pgconn.send_query(query)
            return raw.wait(self._execute(raw.pgconn))

    def read(self, query: bytes) -> Rows:
        """``query``, one statement, sent now: its rows; its error raised."""
        results = self.run(query)
        _, error = _failure(results, 1, self.encoding)
        if error is not None:
            raise error
        return Rows(self.rows(results[0]), _rowcount(results[0]))

    def rows(self, result: PGresult) -> list[Any]:
        if not result.ntuples:  # no rows, or none to read (an INSERT without RETURNING): no row maker to set up
            return []
        self._loading.set_pgresult(result)
        return self._loading.load_rows(0, result.ntuples, row_maker(result))

    def literal(self, value: Any) -> bytes:
        """``value`` as an SQL literal: a str, an int or a finite float written here as psycopg would (a third of
        its cost: its dumper lookup, escaping and checks, s10), None as NULL, anything else by the connection's
        dumpers (as ``ClientCursor`` binds it)."""
        kind = type(value)
        if kind is str and self._utf8 and "\x00" not in value:  # psycopg refuses a NUL
            try:  # standard_conforming_strings on: only a quote is special in '...' (no UTF-8 byte is one)
                return b"'%s'" % value.encode().replace(b"'", b"''")
            except UnicodeEncodeError:  # psycopg says so in its words
                pass
        elif kind is int:
            return b"%d" % value if value >= 0 else b" %d" % value  # "- -1", not "--1": a comment
        elif kind is float and math.isfinite(value):  # typed, as ``_float8_literal`` does (a numeric else)
            return b"%r::float8" % value if math.copysign(1.0, value) > 0 else b" %r::float8" % value
        elif value is None:
            return b"NULL"
        return self._dumping.as_literal(value)


def _failure(results: list[PGresult], statements: int, encoding: str) -> tuple[int | None, Exception | None]:
    """``(statements that ran, error)`` of a query's ``results``: ``(statements, None)`` if each ran; the position
    of the one that failed and its error (PostgreSQL ran none after it); ``ran`` None if that is not known."""
    for position, result in enumerate(results):
        status = result.status
        if status == _FATAL_ERROR:
            from psycopg.errors import error_from_result

            return position, error_from_result(result, encoding=encoding)
        if status not in _OK:
            return None, _internal_error(f"unexpected result status {status} from a batch")
    if len(results) != statements:
        return None, _internal_error(f"{len(results)} results for a batch of {statements} statements")
    return statements, None


def _rowcount(result: PGresult) -> int:
    if result.status == _TUPLES_OK:
        return result.ntuples
    count = result.command_tuples
    return count if count is not None else -1


def _operational_error(message: str) -> Exception:
    from psycopg import OperationalError

    return OperationalError(message)


def _internal_error(message: str) -> Exception:
    from psycopg import InternalError

    return InternalError(message)
