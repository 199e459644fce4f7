"""The projections' views in SQL: one implementation for SQLite and PostgreSQL.

Tables are created by ``migrations/`` (``0004_read_models``). Every table has
``seq`` (primary key, the cursor), ``valid_from``, ``valid_to`` and the row's
columns. A commit, in one transaction: close the stored versions the new ones
supersede (``valid_to``, by ``seq``: a search by key would walk every version of the
key, which grows with the view), insert the new versions (bulk: COPY text built
by ``copy_text`` on PostgreSQL, multi-row ``INSERT ... VALUES`` on SQLite), and move
the tracking positions in ``rm_tracking``.
Money is NUMERIC on PostgreSQL and TEXT (exact decimal strings) on SQLite; both are read back as
text (psycopg's numeric loader is replaced by its text loader), and rows build Decimals from it.

SQLite inserts up to ``SQLITE_ROWS_PER_INSERT`` rows per statement, their values bound as
parameters, rather than one ``INSERT ... SELECT`` over a JSON array (``json_each``): each
``value ->> i`` parses the row's JSON again (SQLite 3.40 has no JSONB), once per column.
A statement of many rows releases the GIL for its whole step.
"""

from __future__ import annotations

import sqlite3
import threading
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from itertools import chain
from typing import Any

import msgspec
import psycopg
from psycopg import sql
from psycopg.types.string import TextLoader

from application.read_models.ports import RowQuery, StoredVersion
from infrastructure.read_models.copy_text import CopyBuilder, copy_builder
from projections import TABLES
from projections.base import Table, Version

TRACKING = "rm_tracking"
META = ("seq", "valid_from", "valid_to")
SQLITE_ROWS_PER_INSERT = 1_000
"""Rows per SQLite INSERT (fewer when the columns times rows would pass SQLite's parameter limit)."""


def _decimal_columns(table: Table) -> frozenset[str]:
    hints = typing.get_type_hints(table.row)
    return frozenset(
        name for name in table.columns if Decimal in (hints[name], *typing.get_args(hints[name]))
    )


def _optional_columns(table: Table) -> frozenset[str]:
    hints = typing.get_type_hints(table.row)
    return frozenset(name for name in table.columns if type(None) in typing.get_args(hints[name]))


class TableWrite(msgspec.Struct, array_like=True):
    """One table's part of a commit: keys whose current version is superseded, new versions."""

    table: str
    supersede: list[tuple[int, int]]
    """(valid_to, seq) of each stored version that this commit supersedes."""
    records: str | list[tuple[Any, ...]]
    """The new versions: their SQL rows (SQLite), or COPY text (PostgreSQL)."""


class PreparedCommit(msgspec.Struct, array_like=True):
    """A commit's parameters: the tracking positions and each table's writes."""

    positions: list[tuple[str, int]]
    writes: list[TableWrite]


class _Shape:
    """A table's columns and how to turn a stored row back into a Row."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.columns = table.columns
        self.decimals = _decimal_columns(table)
        self.decimal_indexes = [len(META) + i for i, c in enumerate(self.columns) if c in self.decimals]
        self.key_of = table.key_of()
        self._records: Callable[[Sequence[Version], list[int | None]], list[tuple[Any, ...]]] | None = None
        self._copy_text: CopyBuilder | None = None
        self._inserts: dict[int, str] = {}

    def rows_per_insert(self, parameter_limit: int) -> int:
        """How many rows one SQLite INSERT takes (within ``parameter_limit`` bound values)."""
        return max(1, min(SQLITE_ROWS_PER_INSERT, parameter_limit // (len(self.columns) + len(META))))

    def insert_statement(self, rows: int) -> str:
        """``INSERT ... VALUES`` of ``rows`` rows of ``?`` placeholders (kept per row count)."""
        statement = self._inserts.get(rows)
        if statement is None:
            one = "(" + ", ".join("?" * (len(self.columns) + len(META))) + ")"
            names = ", ".join((*META, *self.columns))
            statement = f"INSERT INTO {self.table.name} ({names}) VALUES {', '.join([one] * rows)}"
            if len(self._inserts) >= 16:  # the full size and a few batch ends are worth keeping
                self._inserts.clear()
            self._inserts[rows] = statement
        return statement

    def records(self, versions: Sequence[Version], valid_to: list[int | None]) -> list[tuple[Any, ...]]:
        """The SQL rows of versions, Decimals as exact text (SQLite has no decimal type)."""
        if self._records is None:
            self._records = self._compile()
        return self._records(versions, valid_to)

    def copy_text(self, versions: Sequence[Version], valid_to: list[int | None]) -> str:
        """The versions as PostgreSQL COPY text."""
        if self._copy_text is None:
            self._copy_text = copy_builder(self.table)
        return self._copy_text(versions, valid_to)

    def _compile(self) -> Callable[[Sequence[Version], list[int | None]], list[tuple[Any, ...]]]:
        # One generated comprehension per table: attribute reads and str() inline, no per-value calls;
        # each version unpacked once (cheaper than indexing it), None tested only where allowed.
        optional = _optional_columns(self.table)

        def value(column: str) -> str:
            if column not in self.decimals:
                return f"r.{column}"
            if column in optional:
                return f"(None if r.{column} is None else str(r.{column}))"
            return f"str(r.{column})"

        fields = ", ".join(value(c) for c in self.columns)
        source = (
            "def build(versions, valid_to):\n"
            "    return [\n"
            f"        (seq, valid_from, until, {fields})\n"
            "        for (seq, valid_from, r, _), until in zip(versions, valid_to)\n"
            "    ]\n"
        )
        namespace: dict[str, Any] = {}
        exec(source, namespace)  # noqa: S102 -- code built from the table's own column names
        built: Callable[[Sequence[Version], list[int | None]], list[tuple[Any, ...]]] = namespace["build"]
        return built

    def documents(self, rows: Sequence[Sequence[Any]], plain: bool) -> list[dict[str, Any]]:
        """Stored rows as mappings of column to value; with ``plain``, money's text rewritten as
        PostgreSQL writes NUMERIC (SQLite holds ``str(Decimal)``: ``1.3E-7``, ``-0.0``)."""
        names = (*META, *self.columns)
        if plain and self.decimal_indexes:
            rows = [self._plain(values) for values in rows]
        return [dict(zip(names, values, strict=True)) for values in rows]

    def _plain(self, values: Sequence[Any]) -> Sequence[Any]:
        changed: list[Any] | None = None
        for i in self.decimal_indexes:
            text = values[i]
            if text is not None and ("E" in text or text.startswith("-")):
                plain = plain_decimal(text)
                if plain != text:
                    changed = changed or list(values)
                    changed[i] = plain
        return values if changed is None else changed

    def build(self, values: Sequence[Any]) -> StoredVersion:
        fields = dict(zip(self.columns, values[3:], strict=True))
        for name in self.decimals:
            value = fields[name]
            if value is not None and not isinstance(value, Decimal):
                fields[name] = Decimal(value)
        return StoredVersion(values[0], values[1], values[2], self.table.row(**fields))


class SqlReadModels:
    """``ReadModelStore`` over SQLite (a file) or PostgreSQL (a connection string and schema)."""

    def __init__(self, dialect: str, *, sqlite_path: str = "", conninfo: str = "", schema: str = "public"):
        if dialect not in ("sqlite", "postgres"):
            raise ValueError(f"dialect must be sqlite or postgres, got {dialect!r}")
        self.dialect = dialect
        self._sqlite_path = sqlite_path
        self._conninfo = conninfo
        self._schema = schema
        self._mark = "?" if dialect == "sqlite" else "%s"
        self._local = threading.local()
        self._shapes = {name: _Shape(table) for name, table in TABLES.items()}

    # connections --------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        if self.dialect == "sqlite":
            conn = self._sqlite()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn.cursor()
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return
        postgres = self._postgres()
        with postgres.transaction():
            yield postgres.cursor()

    @contextmanager
    def _reading(self) -> Iterator[Any]:
        # One statement, one snapshot: on PostgreSQL the autocommit connection runs it alone
        # (a BEGIN/COMMIT around it would triple the round trips of every API read).
        if self.dialect == "sqlite":
            yield self._sqlite().cursor()
            return
        yield self._postgres().cursor()

    @contextmanager
    def snapshot(self) -> Iterator[Any]:
        """A cursor whose statements all read one snapshot of the views (a read-only transaction),
        for a reader whose several statements must agree with each other."""
        if self.dialect == "sqlite":
            lite = self._sqlite()
            lite.execute("BEGIN")
            try:
                yield lite.cursor()
            finally:
                lite.execute("COMMIT")
            return
        postgres = self._postgres()
        with postgres.transaction():
            postgres.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield postgres.cursor()

    def _sqlite(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "sqlite", None)
        if conn is None:
            conn = sqlite3.connect(
                self._sqlite_path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.sqlite = conn
        return conn

    def _postgres(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] | None = getattr(self._local, "postgres", None)
        if conn is None or conn.closed:
            conn = psycopg.connect(self._conninfo, autocommit=True)
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self._schema)))
            # Money read as its exact text, as from SQLite: the API sends text, and rows are built
            # with Decimal(text), so a Decimal made by psycopg's numeric loader would be wasted.
            conn.adapters.register_loader("numeric", TextLoader)
            self._local.postgres = conn
        return conn

    def close(self) -> None:
        """Close this thread's connection."""
        for name in ("sqlite", "postgres"):
            conn = getattr(self._local, name, None)
            if conn is not None:
                conn.close()
                setattr(self._local, name, None)

    # ReadModelStore -------------------------------------------------------------

    def positions(self) -> dict[str, int]:
        """Every projection's committed position."""
        with self._reading() as cursor:
            cursor.execute(f"SELECT projection, position FROM {TRACKING}")
            return {name: int(position) for name, position in cursor.fetchall()}

    def commit(self, positions: Mapping[str, int], changes: Mapping[str, Sequence[Version]]) -> None:
        """New versions and positions in one transaction."""
        self.apply(self.prepare(positions, changes))

    def flush(self) -> None:
        """Nothing to wait for: ``commit`` returns when the transaction has committed."""

    def prepare(
        self,
        positions: Mapping[str, int],
        changes: Mapping[str, Sequence[Version]],
    ) -> PreparedCommit:
        """The SQL parameters of a commit, computed without the database."""
        writes = []
        for name, versions in changes.items():
            shape = self._shapes[name]
            valid_to: list[int | None] = [None] * len(versions)
            supersede: list[tuple[int, int]] = []
            if shape.table.state:
                supersede = _close(versions, valid_to)
            records = (
                shape.records(versions, valid_to)
                if self.dialect == "sqlite"
                else shape.copy_text(versions, valid_to)
            )
            writes.append(TableWrite(name, supersede, records))
        return PreparedCommit(sorted(positions.items()), writes)

    def apply(self, prepared: PreparedCommit) -> None:
        """Execute a prepared commit in one transaction."""
        m = self._mark
        with self._transaction() as cursor:
            for write in prepared.writes:
                self._write(cursor, self._shapes[write.table], write)
            cursor.executemany(
                f"INSERT INTO {TRACKING} (projection, position) VALUES ({m}, {m}) "
                "ON CONFLICT (projection) DO UPDATE SET position = excluded.position",
                prepared.positions,
            )

    def reset(self, projection: str, tables: Sequence[Table]) -> None:
        """Empty a projection's tables and forget its position (one transaction)."""
        with self._transaction() as cursor:
            for table in tables:
                cursor.execute(f"DELETE FROM {table.name}")
            cursor.execute(f"DELETE FROM {TRACKING} WHERE projection = {self._mark}", (projection,))

    def rows(self, query: RowQuery) -> list[StoredVersion]:
        """The versions a query asks for, in seq order (or newest first)."""
        shape = self._shapes[query.table.name]
        return [shape.build(values) for values in self._select(query)]

    def documents(self, query: RowQuery) -> list[dict[str, Any]]:
        """Like ``rows``, as JSON-ready mappings of column to value, money as exact decimal text
        without exponent (the same text from both stores): what the API sends, no row objects."""
        return self._shapes[query.table.name].documents(self._select(query), plain=self.dialect == "sqlite")

    def documents_of(self, table: Table, rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
        """Rows a reader selected itself (``seq, valid_from, valid_to`` and then ``table.columns``)
        as ``documents`` gives them."""
        return self._shapes[table.name].documents(rows, plain=self.dialect == "sqlite")

    def positions_and_documents(self, query: RowQuery) -> tuple[dict[str, int], list[dict[str, Any]]]:
        """``positions()`` and ``documents(query)`` from one snapshot (so the rows are those of the
        positions read with them); on PostgreSQL in one round trip (pipeline mode), which is most
        of an API read's time."""
        if self.dialect == "sqlite":
            lite = self._sqlite()
            lite.execute("BEGIN")  # a read transaction: one snapshot for both statements
            try:
                return self.positions(), self.documents(query)
            finally:
                lite.execute("COMMIT")
        statement, params = self._select_statement(query)
        conn = self._postgres()
        with conn.pipeline():
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            tracking = conn.cursor().execute(f"SELECT projection, position FROM {TRACKING}")
            selected = conn.cursor().execute(statement, params)
            conn.execute("COMMIT")
        positions = {name: int(position) for name, position in tracking.fetchall()}
        return positions, self._shapes[query.table.name].documents(selected.fetchall(), plain=False)

    def _select(self, query: RowQuery) -> list[tuple[Any, ...]]:
        statement, params = self._select_statement(query)
        with self._reading() as cursor:
            cursor.execute(statement, params)
            found: list[tuple[Any, ...]] = cursor.fetchall()
            return found

    def _select_statement(self, query: RowQuery) -> tuple[str, list[Any]]:
        shape = self._shapes[query.table.name]
        m = self._mark
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in dict(query.where).items():
            if column not in shape.columns:
                raise ValueError(f"{query.table.name} has no column {column!r}")
            clauses.append(f"{column} = {m}")
            params.append(self._adapt(value))
        if query.as_of is not None:
            clauses.append(f"valid_from <= {m}")
            params.append(query.as_of)
            if not query.all_versions:
                clauses.append(f"(valid_to IS NULL OR valid_to > {m})")
                params.append(query.as_of)
        elif not query.all_versions:
            clauses.append("valid_to IS NULL")
        for bound, op in ((query.ts_from, ">="), (query.ts_to, "<=")):
            if bound is not None:
                clauses.append(f"ts {op} {m}")
                params.append(bound)
        if query.after is not None:
            clauses.append(f"seq {'<' if query.newest_first else '>'} {m}")
            params.append(query.after)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "DESC" if query.newest_first else "ASC"
        columns = ", ".join((*META, *shape.columns))
        # Versions are made in notification order, so (valid_from, seq) orders them as seq does;
        # as of a moment, that lets the valid_from index find the answer without a scan.
        ordering = f"valid_from {order}, seq {order}" if query.as_of is not None else f"seq {order}"
        statement = f"SELECT {columns} FROM {query.table.name}{where} ORDER BY {ordering} LIMIT {m}"
        params.append(query.limit)
        return statement, params

    def table_dump(self, table: Table) -> list[tuple[Any, ...]]:
        """Every stored version of a table, as plain tuples in seq order (for comparisons)."""
        shape = self._shapes[table.name]
        columns = ", ".join((*META, *table.columns))
        with self._reading() as cursor:
            cursor.execute(f"SELECT {columns} FROM {table.name} ORDER BY seq")
            versions = [shape.build(values) for values in cursor.fetchall()]
        return [
            (v.seq, v.valid_from, v.valid_to, *(_plain(getattr(v.row, c)) for c in table.columns))
            for v in versions
        ]

    # writing --------------------------------------------------------------------

    def _write(self, cursor: Any, shape: _Shape, write: TableWrite) -> None:
        table = shape.table
        m = self._mark
        names = ", ".join((*META, *shape.columns))
        if self.dialect == "sqlite":
            # Few statements, each running inside SQLite without the GIL (executemany takes it
            # back for every row). The superseded versions are few: one JSON statement.
            if write.supersede:
                cursor.execute(
                    f"UPDATE {table.name} SET valid_to = j.value ->> 0 FROM json_each(?) AS j "
                    f"WHERE {table.name}.seq = j.value ->> 1 AND {table.name}.valid_to IS NULL",
                    (_JSON.encode(write.supersede).decode(),),
                )
            rows = write.records
            per = shape.rows_per_insert(cursor.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
            for start in range(0, len(rows), per):
                chunk = rows[start : start + per]
                cursor.execute(shape.insert_statement(len(chunk)), list(chain.from_iterable(chunk)))
            return
        if write.supersede:
            cursor.executemany(
                f"UPDATE {table.name} SET valid_to = {m} WHERE seq = {m} AND valid_to IS NULL",
                write.supersede,
            )
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            copy.write(write.records)

    def _adapt(self, value: Any) -> Any:
        if self.dialect == "sqlite" and isinstance(value, Decimal):
            return str(value)
        return value


_JSON = msgspec.json.Encoder()


def _close(versions: Sequence[Version], valid_to: list[int | None]) -> list[tuple[int, int]]:
    """Fill ``valid_to`` of the versions superseded within ``versions`` (consecutive seqs of one
    table); return (valid_to, seq) of the stored versions they supersede."""
    stored: list[tuple[int, int]] = []
    first = versions[0].seq if versions else 0
    for version in versions:
        superseded = version.supersedes
        if superseded is None:
            continue
        index = superseded - first
        if index < 0:
            stored.append((version.valid_from, superseded))
        elif versions[index].seq == superseded:
            valid_to[index] = version.valid_from
        else:
            raise ValueError(f"versions of one table must have consecutive seqs, {superseded} is missing")
    return stored


def plain_decimal(text: str) -> str:
    """Exact decimal text as PostgreSQL writes a NUMERIC: no exponent, no negative zero."""
    if "E" in text:
        text = format(Decimal(text), "f")
    if text.startswith("-") and not text.strip("-0."):
        text = text[1:]
    return text


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value
