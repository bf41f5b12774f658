"""Server-side prepared statements for the batched write transactions (``_pg_batch``), and the reads.

Sent as SQL text, a statement is parsed, analyzed and planned by PostgreSQL every time: for our transactions that is
about a third of PostgreSQL's own CPU (s10: a batch of the four statements of a stored message, 5,000 times, 0.73 s
of the backend's CPU as literals against 0.54 s as ``EXECUTE``). So a statement's shape (its SQL, ``%s`` for each
value) is prepared once on a connection (``PREPARE agk_N AS ...``, with ``$1..$n``) and then sent as
``EXECUTE agk_N(literal, ...)`` inside the batch's one query: no round trip more once a shape is prepared. A read
outside a write transaction goes the same way (psycopg's own preparation, off here, prepared it after 5 runs).

- Shapes are prepared in a round trip before the batch (all those waiting, together), and only while the connection
  is idle (no transaction open), so a PREPARE that fails fails nobody's transaction: a shape first seen in an open
  transaction, or in a batch that changes the schema (it may create what the shape needs), waits for the next idle
  moment of its connection. A shape PostgreSQL will not prepare is sent as literals from then on, by every
  connection of the database (one error in PostgreSQL's log, not one a connection).
- Prepared statements are not transactional: one prepared stays, whatever its transactions do after. Names come from
  a counter of the process and are never used twice, so a PREPARE never meets a name that exists; the bookkeeping
  is per connection object, so a connection the pool made anew (one broke) starts with none.
- PostgreSQL infers each parameter's type at PREPARE; a value goes to a parameter only where its literal means what
  it means in the SQL text (``_ACCEPTS``: ``SELECT ?`` prepares with a text parameter, which would turn 1.5 into
  ``'1.5'``); otherwise the statement goes as literals, as it did before.
- ``*`` in a select list or RETURNING is never prepared: once another worker's migration adds a column, executing
  it fails with "cached plan must not change result type". Should a prepared statement fail so anyway (a column's
  type changed) or be missing (something ran DEALLOCATE ALL on the connection), the connection's statements are
  forgotten (``lost``), deallocated at its next idle moment, and the transaction is sent again if it can be.
- psycopg's own automatic preparation is off on these connections (``PostgresDatabase``): psycopg runs
  DEALLOCATE ALL after a ROLLBACK, a DROP or an ALTER whenever it prepared something itself.
- At most ``_MAX_PREPARED`` shapes a connection: past that, literals.
- Off (``PostgresDatabase(url, prepare=False)``, ``AGENTKIT_DB_PREPARE=0``) behind PgBouncer in transaction mode,
  where a connection's prepared statements are not there at its next transaction.
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ._pg_batch import Rows, _failure, _Link, _link, _template

if TYPE_CHECKING:
    import psycopg

__all__ = ["PreparedStatements", "Session"]

_MAX_PREPARED = 256  # a connection's prepared shapes (ours: a few dozen)
_MAX_KINDS = 64  # the combinations of value types a prepared shape remembers whether it takes
_NONE = type(None)
_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE
_NAMES = itertools.count()
_PREPARABLE = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.I)
_DDL = re.compile(r"\s*(CREATE|ALTER|DROP)\b", re.I)
_COUNT_ALL = re.compile(r"\bcount\s*\(\s*\*\s*\)", re.I)
_PARAMETER_TYPES = "SELECT name, parameter_types::text[] FROM pg_prepared_statements WHERE name"
_LOST = "26000"  # invalid_sql_statement_name: "prepared statement ... does not exist"
_RESULT_CHANGED = "cached plan must not change result type"  # feature_not_supported (0A000)

# What a parameter of each type accepts: a value whose literal PostgreSQL would read the same there as in the SQL
# text. None (NULL) and a str (a quoted literal is of no type until its place gives it one) go anywhere; an int where
# the type holds it (out of range, the literal would be a bigint or a numeric: compared, not an error); a float (its
# literal says ``::float8``) to a double precision only; bytes (``::bytea``) to a bytea; a bool to a boolean.
_ANY: frozenset[type] = frozenset({str})
_INT_RANGES = {"smallint": 2**15, "integer": 2**31, "bigint": 2**63}
_ACCEPTS: dict[str, frozenset[type]] = {
    **dict.fromkeys(_INT_RANGES, frozenset({str, int})),
    "numeric": frozenset({str, int}),
    "double precision": frozenset({str, int, float}),
    "bytea": frozenset({str, bytes}),
    "boolean": frozenset({str, bool}),
}


class _Prepared:
    """One shape prepared on one connection: its ``EXECUTE`` for values each of its parameters accepts."""

    __slots__ = ("_accepts", "_bounded", "_fits", "_head", "_open")

    def __init__(self, name: bytes, parameter_types: list[str]) -> None:
        self._head = b"EXECUTE " + name
        self._open = self._head + b"("
        self._accepts = tuple(_ACCEPTS.get(kind, _ANY) for kind in parameter_types)
        self._bounded = tuple(
            (position, _INT_RANGES[kind]) for position, kind in enumerate(parameter_types) if kind in _INT_RANGES
        )
        self._fits: dict[tuple[type, ...], bool] = {}  # the types of a statement's values, by position: few

    def execute(self, params: tuple[object, ...], as_literal: Callable[[Any], bytes]) -> bytes | None:
        """``EXECUTE name(literal, ...)``, or None where a value would not mean the same there (or the number of
        values is wrong: the literal path says so). ``as_literal`` writes None as NULL."""
        if not params:
            return None if self._accepts else self._head
        kinds = tuple(map(type, params))
        fits = self._fits.get(kinds)
        if fits is None:
            fits = self._fit(kinds)
        if not fits:
            return None
        for position, bound in self._bounded:  # an int out of its parameter's range
            value = params[position]
            if type(value) is int and not -bound <= value < bound:
                return None
        return self._open + b", ".join(map(as_literal, params)) + b")"

    def _fit(self, kinds: tuple[type, ...]) -> bool:
        fits = len(kinds) == len(self._accepts) and all(
            kind is _NONE or kind in accepts for kind, accepts in zip(kinds, self._accepts, strict=False)
        )
        if len(self._fits) < _MAX_KINDS:
            self._fits[kinds] = fits
        return fits


class Session:
    """The shapes prepared on one connection (``prepared``), and those waiting for its next idle moment."""

    __slots__ = ("_database", "lost", "prepared", "waiting")

    def __init__(self, database: PreparedStatements) -> None:
        self._database = database
        self.prepared: dict[str, _Prepared | None] = {}  # None: sent as literals (or waiting)
        self.waiting: list[str] = []
        self.lost = False  # its statements are to be deallocated before any is prepared again

    def statement(self, sql: str) -> _Prepared | None:
        """The shape ``sql`` prepared, or None: sent as literals (the first time, it waits to be prepared)."""
        try:
            return self.prepared[sql]
        except KeyError:
            pass
        if len(self.prepared) < _MAX_PREPARED:  # past it, not even remembered (each time a dict miss)
            self.prepared[sql] = None
            if self._database.preparable(sql):
                self.waiting.append(sql)
        return None

    def prepare_waiting(self, raw: psycopg.Connection[Any]) -> None:
        """Prepare the shapes that wait, all in one round trip, if ``raw`` is idle (else they wait on)."""
        if raw.info.transaction_status != _IDLE or raw.broken or raw.closed:
            return
        try:
            if self.lost:
                raw.execute("DEALLOCATE ALL", prepare=False)
                self.lost = False
            if self.waiting:
                self._prepare(_link(raw))
        except Exception:  # the connection broke: the batch meets it, and the queue deals with it
            return

    def _prepare(self, link: _Link) -> None:
        """``PREPARE`` each shape that waits, then read the types PostgreSQL gave their parameters: one query. If a
        PREPARE fails, its shape is sent as literals from then on, and the others wait for the next idle moment
        (those before it are prepared again, under new names: a failure happens once a shape and process)."""
        encoding = link.encoding
        for sql in [sql for sql in self.waiting if not _fits_template(sql, encoding)]:
            self._database.unpreparable(sql)  # a mark psycopg does not take: the batch raises for it
            self.waiting.remove(sql)
        names = [f"agk_{next(_NAMES)}" for _ in self.waiting]
        results = link.run(_prepare(names, self.waiting, encoding))
        ran, error = _failure(results, len(names) + 1, encoding)
        if error is not None:
            if link.raw.broken or link.raw.closed or ran is None:
                raise error
            if ran < len(self.waiting):
                self._database.unpreparable(self.waiting.pop(ran))  # a type PostgreSQL cannot infer...
            else:  # they are prepared, but their types were not read: literals on this connection
                self.waiting.clear()
            return
        types = {row[0]: row[1] for row in link.rows(results[len(names)])}
        for name, sql in zip(names, self.waiting, strict=True):
            if name in types:
                self.prepared[sql] = _Prepared(name.encode(), types[name])
        self.waiting.clear()


class PreparedStatements:
    """The prepared statements of one database's pooled connections: a ``Session`` each, and the shapes PostgreSQL
    would not prepare."""

    def __init__(self) -> None:
        self._unpreparable: set[str] = set()
        self._sessions: weakref.WeakKeyDictionary[Any, Session] = weakref.WeakKeyDictionary()

    def session(self, raw: psycopg.Connection[Any], shapes: Iterable[str] = ()) -> Session:
        """``raw``'s statements; if it is idle, ``shapes`` (those of the query about to go) and those waiting
        prepared first."""
        session = self._sessions.get(raw)
        if session is None:
            session = self._sessions[raw] = Session(self)
        if raw.pgconn.transaction_status == _IDLE:  # ``raw.info``'s: an object and an enum each time
            shapes = tuple(shapes)
            known = session.prepared  # a shape seen already is prepared, or waits, or goes as literals: as it was
            new = any(sql not in known for sql in shapes)
            if new and not any(map(_changes_schema, shapes)):  # else they may need what it creates: prepared after it
                for sql in shapes:
                    session.statement(sql)
            if session.waiting or session.lost:
                session.prepare_waiting(raw)
        return session

    def execute(self, raw: psycopg.Connection[Any], sql: str, params: tuple[object, ...]) -> Rows | psycopg.Cursor[Any]:
        """``sql`` alone, now, on ``raw`` (a read outside a write transaction; prepared first if it is new and
        ``raw`` idle): its rows. As ``EXECUTE`` where it is prepared (straight through libpq, as a batch goes),
        else as psycopg sends it, its values bound by the server (also once more if its prepared statement was
        lost)."""
        prepared = self.session(raw, (sql,)).prepared.get(sql)
        link = _link(raw)
        execute = prepared.execute(params, link.literal) if prepared is not None else None
        if execute is not None:
            try:
                return link.read(execute)
            except Exception as error:
                if not self.lost(raw, error) or raw.info.transaction_status != _IDLE:
                    raise
        return raw.execute(sql, params)

    def preparable(self, sql: str) -> bool:
        return sql not in self._unpreparable and _preparable(sql)

    def unpreparable(self, sql: str) -> None:
        """PostgreSQL would not prepare ``sql``: literals on every connection (at most ``_MAX_PREPARED`` kept)."""
        if len(self._unpreparable) < _MAX_PREPARED:
            self._unpreparable.add(sql)

    def lost(self, raw: psycopg.Connection[Any], error: Exception) -> bool:
        """Whether ``error`` says a prepared statement of ``raw`` is missing or no longer fits its tables; if so,
        its statements are forgotten (deallocated at its next idle moment)."""
        if getattr(error, "sqlstate", None) != _LOST and _RESULT_CHANGED not in str(error):
            return False
        session = self._sessions.get(raw)
        if session is not None:
            session.lost = True
            session.prepared.clear()
            session.waiting.clear()
        return True


@lru_cache(maxsize=1024)
def _preparable(sql: str) -> bool:
    """A statement PREPARE takes, whose result columns cannot change under it (no ``*`` but ``count(*)``), and with
    no ``$`` of its own (``$1`` is ours)."""
    return bool(_PREPARABLE.match(sql)) and "*" not in _COUNT_ALL.sub("", sql) and "$" not in sql


@lru_cache(maxsize=1024)
def _changes_schema(sql: str) -> bool:
    return bool(_DDL.match(sql))


def _fits_template(sql: str, encoding: str) -> bool:
    try:
        _template(sql, encoding)
    except Exception:
        return False
    return True


def _prepare(names: list[str], shapes: list[str], encoding: str) -> bytes:
    """``PREPARE name AS sql`` for each shape, with ``$1..$n`` for its values, then the types PostgreSQL gave them.
    (``pg_prepared_statements.statement`` shows this whole query for each of them.)"""
    statements = []
    for name, sql in zip(names, shapes, strict=True):
        parts = _template(sql, encoding)
        body = [parts[0]]
        for position, part in enumerate(parts[1:], 1):
            body.append(b"$%d%s" % (position, part))
        statements.append(b"PREPARE %s AS %s" % (name.encode(), b"".join(body)))
    listed = ", ".join(f"'{name}'" for name in names)
    statements.append(f"{_PARAMETER_TYPES} IN ({listed})".encode())
    return b"\n;\n".join(statements)
