"""PostgreSQL's rows as ``PgRow``: read by column name or position, like ``sqlite3.Row``, so one SQL reads both."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from psycopg.pq.abc import PGresult
    from psycopg.rows import RowMaker

__all__ = ["PgRow", "pg_row", "row_maker"]


class PgRow:
    """A row that answers ``row["column"]`` and ``row[0]``, like ``sqlite3.Row``, so one SQL reads both."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = tuple(values)
        self._index = index

    def __getitem__(self, key: int | str) -> Any:
        return self._values[self._index[key]] if isinstance(key, str) else self._values[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        return list(self._index)

    def __repr__(self) -> str:
        return f"PgRow({dict(zip(self._index, self._values, strict=True))!r})"


def pg_row(cursor: Any) -> RowMaker[PgRow]:  # a psycopg RowFactory
    return row_maker(cursor.pgresult)


def row_maker(result: PGresult | None) -> Callable[[Sequence[Any]], PgRow]:
    """The ``PgRow`` of a row of ``result``'s values. The column names straight from the result, not
    ``cursor.description`` (a Column object each, per statement: ~30 us, a sixth of a pipelined statement's CPU);
    the index is shared by every result of the same columns."""
    index = _column_index(tuple(map(result.fname, range(result.nfields)))) if result is not None else {}
    return lambda values: PgRow(values, index)


@lru_cache(maxsize=1024)
def _column_index(names: tuple[bytes | None, ...]) -> dict[str, int]:
    return {name.decode(): position for position, name in enumerate(names) if name}  # our columns' names are ASCII
