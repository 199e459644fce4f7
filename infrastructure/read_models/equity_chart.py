"""``SqlEquityChart``: the equity chart (``application.read_models.equity_chart``) in SQL.

Everything is read in one snapshot of the views. A bucket is a range of ``seq``, the table's
primary key, so each bucket's marks are one range scan, bucket after bucket: nothing sorts or
groups the whole curve, and only the buckets leave the database.

- PostgreSQL: one aggregate per bucket (``LATERAL``); NUMERIC's own min and max, so exact. JIT
  is off for the transaction: compiling the statement cost more than it saved.
- SQLite: money is exact text there, and text orders as text, not as a number. Each extreme is a
  pass over the bucket's marks comparing them as doubles (``CAST ... AS REAL``), the mark's text
  taken alongside (SQLite gives a bare column the values of the row that a lone ``min()`` or
  ``max()`` chose). Two marks closer than a double tells apart may be taken for each other; the
  text sent is always one mark's own.
"""

from __future__ import annotations

from typing import Any

from application.read_models.equity_chart import MAX_POINTS, Buckets, EquityBucket, EquityChart
from infrastructure.read_models.sql_store import META, TRACKING, SqlReadModels, plain_decimal
from projections.portfolio import EQUITY
from projections.sessions import SESSIONS

_COLUMNS = ", ".join((*META, *EQUITY.columns))
_RANGE = "seq >= lo AND seq < lo + {width} AND account = {account}"
_ENDS = (
    "(SELECT ts FROM rm_equity WHERE {range} ORDER BY seq LIMIT 1), "
    "(SELECT ts FROM rm_equity WHERE {range} ORDER BY seq DESC LIMIT 1)"
)


def _sqlite_extreme(aggregate: str, column: str, count: bool = False) -> str:
    text = f"count(*) || ' ' || {column}" if count else column
    return (
        f"(SELECT found FROM (SELECT {text} AS found, {aggregate}(CAST({column} AS REAL)) "
        f"FROM rm_equity WHERE {{range}}))"
    )


_SQLITE_BUCKETS = (
    "WITH RECURSIVE bucket(lo) AS "
    "(SELECT :start UNION ALL SELECT lo + :width FROM bucket WHERE lo + :width <= :stop) "
    "SELECT "
    + ", ".join(
        (
            _ENDS,
            _sqlite_extreme("min", "equity", count=True),
            _sqlite_extreme("max", "equity"),
            _sqlite_extreme("min", "drawdown_pct"),
            _sqlite_extreme("max", "drawdown_pct"),
        )
    )
    + " FROM bucket"
).format(range=_RANGE.format(width=":width", account=":account"))

_POSTGRES_BUCKETS = (
    "SELECT " + _ENDS + ", x.marks, x.equity_min, x.equity_max, x.drawdown_min, x.drawdown_max "
    "FROM generate_series(%(start)s::bigint, %(stop)s::bigint, %(width)s::bigint) AS lo "
    "CROSS JOIN LATERAL (SELECT count(*) AS marks, min(equity) AS equity_min, max(equity) AS equity_max, "
    "min(drawdown_pct) AS drawdown_min, max(drawdown_pct) AS drawdown_max FROM rm_equity WHERE {range}) AS x "
    "WHERE x.marks > 0 ORDER BY lo"
).format(range=_RANGE.format(width="%(width)s", account="%(account)s"))


class SqlEquityChart:
    """``EquityChartReader`` over the views of a ``SqlReadModels``."""

    def __init__(self, views: SqlReadModels) -> None:
        self.views = views
        self._mark = "?" if views.dialect == "sqlite" else "%s"

    def equity_chart(self, account: str | None, points: int = MAX_POINTS) -> EquityChart:
        """See ``EquityChartReader``; ValueError for ``points`` outside 1 to ``MAX_POINTS``."""
        if not 1 <= points <= MAX_POINTS:
            raise ValueError(f"points must be 1 to {MAX_POINTS}, got {points}")
        m = self._mark
        with self.views.snapshot() as cursor:
            if self.views.dialect == "postgres":
                cursor.execute("SET LOCAL jit = off")
            cursor.execute(f"SELECT projection, position FROM {TRACKING}")
            positions = {name: int(position) for name, position in cursor.fetchall()}
            if account is None:
                cursor.execute(f"SELECT account FROM {EQUITY.name} ORDER BY seq DESC LIMIT 1")
                latest = cursor.fetchone()
                if latest is None:
                    return EquityChart(None, None, None, None, [], positions)
                account = str(latest[0])
            cursor.execute(
                f"SELECT session_id, started_id FROM {SESSIONS.name} "
                f"WHERE account = {m} AND valid_to IS NULL",
                (account,),
            )
            session = cursor.fetchone()
            session_id, started = (str(session[0]), int(session[1])) if session else (None, 0)
            cursor.execute(
                f"SELECT {_COLUMNS} FROM {EQUITY.name} WHERE account = {m} ORDER BY seq DESC LIMIT 1",
                (account,),
            )
            last = cursor.fetchone()
            if last is None or last[1] < started:  # no mark since the session started
                return EquityChart(account, session_id, None, None, [], positions)
            cursor.execute(
                f"SELECT {_COLUMNS} FROM {EQUITY.name} WHERE account = {m} AND valid_from >= {m} "
                "ORDER BY valid_from, seq LIMIT 1",
                (account, started),
            )
            first = cursor.fetchone()
            buckets = self._buckets(cursor, account, Buckets.covering(first[0], last[0], points))
        first_document, last_document = self.views.documents_of(EQUITY, [first, last])
        return EquityChart(account, session_id, first_document, last_document, buckets, positions)

    def _buckets(self, cursor: Any, account: str, buckets: Buckets) -> list[EquityBucket]:
        stop = buckets.start + (buckets.count - 1) * buckets.width
        params = {"start": buckets.start, "stop": stop, "width": buckets.width, "account": account}
        if self.views.dialect == "postgres":
            cursor.execute(_POSTGRES_BUCKETS, params)
            return [EquityBucket(*row) for row in cursor.fetchall()]
        cursor.execute(_SQLITE_BUCKETS, params)
        found = []
        for ts_first, ts_last, counted, equity_max, drawdown_min, drawdown_max in cursor.fetchall():
            if counted is None:  # no mark of this account in the range
                continue
            marks, equity_min = counted.split(" ", 1)
            found.append(
                EquityBucket(
                    ts_first,
                    ts_last,
                    int(marks),
                    plain_decimal(equity_min),
                    plain_decimal(equity_max),
                    plain_decimal(drawdown_min),
                    plain_decimal(drawdown_max),
                )
            )
        return found
