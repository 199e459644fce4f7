"""View writes in bulk: a commit larger than one INSERT statement takes is stored whole and exact."""

from __future__ import annotations

from decimal import Decimal

from application.read_models.ports import RowQuery
from infrastructure.bootstrap import LedgerStore
from infrastructure.read_models.sql_store import SQLITE_ROWS_PER_INSERT, SqlReadModels
from projections.base import Version
from projections.portfolio import CASH, EQUITY, CashRow, EquityRow


def equity(i: int) -> EquityRow:
    amount = Decimal(i) / 7
    return EquityRow(
        ts=i,
        account="acct",
        symbol="MEME/USD",
        mark=Decimal("0.0500") + i,
        cash=amount,
        equity=amount * 2,
        high_water=Decimal("1000.00"),
        drawdown_pct=Decimal("0.012345"),
        realized_pnl=-amount,
        unrealized_pnl=Decimal(0),
        fees=Decimal("0.10"),
    )


def test_a_commit_of_more_rows_than_one_insert_takes_is_stored_whole(
    ledger: tuple[LedgerStore, SqlReadModels],
) -> None:
    _, views = ledger
    count = 2 * SQLITE_ROWS_PER_INSERT + 345
    rows = [equity(i) for i in range(1, count + 1)]
    views.commit({"portfolio": count}, {EQUITY.name: [Version(i, i, row) for i, row in enumerate(rows, 1)]})
    cash = [CashRow(ts=i, account="acct", starting_cash=Decimal(10), cash=Decimal(i)) for i in range(1, 4)]
    views.commit(
        {"portfolio": count + 3},
        {CASH.name: [Version(i, count + i, row, i - 1 if i > 1 else None) for i, row in enumerate(cash, 1)]},
    )
    stored = views.table_dump(EQUITY)
    assert len(stored) == count
    assert stored[0][:10] == (
        1,
        1,
        None,
        1,
        "acct",
        "MEME/USD",
        "1.0500",
        str(rows[0].cash),
        str(rows[0].equity),
        "1000.00",
    )
    assert [row[:4] for row in stored] == [(i, i, None, i) for i in range(1, count + 1)]
    assert [tuple(map(str, row[6:])) for row in stored] == [
        tuple(str(getattr(row, column)) for column in EQUITY.columns[3:]) for row in rows
    ]
    assert views.table_dump(CASH) == [
        (1, count + 1, count + 2, 1, "acct", "10", "1"),
        (2, count + 2, count + 3, 2, "acct", "10", "2"),
        (3, count + 3, None, 3, "acct", "10", "3"),
    ]
    assert views.positions() == {"portfolio": count + 3}


def test_money_is_read_back_as_the_same_plain_text_from_either_store(
    ledger: tuple[LedgerStore, SqlReadModels],
) -> None:
    _, views = ledger
    row = EquityRow(
        ts=1,
        account="acct",
        symbol="MEME/USD",
        mark=Decimal("1.3E-7"),  # str(): exponent notation
        cash=Decimal("1.0E+2"),
        equity=Decimal("12.50"),
        high_water=Decimal("-0E-7"),  # negative zero, which NUMERIC does not keep
        drawdown_pct=Decimal("-0.0"),
        realized_pnl=Decimal("-1.5"),
        unrealized_pnl=Decimal(0),
        fees=Decimal("1.23E+1"),
    )
    views.commit({"portfolio": 1}, {EQUITY.name: [Version(1, 1, row)]})
    query = RowQuery(EQUITY)
    [document] = views.documents(query)
    money = {column: document[column] for column in EQUITY.columns[3:]}
    assert money == {
        "mark": "0.00000013",
        "cash": "100",
        "equity": "12.50",
        "high_water": "0.0000000",
        "drawdown_pct": "0.0",
        "realized_pnl": "-1.5",
        "unrealized_pnl": "0",
        "fees": "12.3",
    }
    assert views.positions_and_documents(query) == ({"portfolio": 1}, [document])
    [stored] = views.rows(query)
    assert stored.row == row
