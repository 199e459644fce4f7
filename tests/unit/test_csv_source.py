import csv
from pathlib import Path

import pytest

from infrastructure.errors import SourceError
from infrastructure.feeds.csv_source import csv_source


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.csv"
    path.write_text(text)
    return path


def test_bar_columns_are_found_by_name_in_any_case_and_order(tmp_path: Path) -> None:
    path = write(tmp_path, "Date,Volume,Close,Low,High,Open\n2024-01-01,5,2,1,3,1.5\n")
    [row] = list(csv_source(path, "bar").rows)
    assert row.fields == ("2024-01-01", "1.5", "3", "1", "2", "5")
    assert row.raw == "2024-01-01,5,2,1,3,1.5" and row.line == 2


def test_the_first_column_is_the_timestamp_even_unnamed(tmp_path: Path) -> None:
    path = write(tmp_path, ",open,high,low,close,volume\n1700000000,1,2,0.5,1.5,10\n")
    [row] = list(csv_source(path, "bar").rows)
    assert row.fields[0] == "1700000000"


def test_a_file_without_header_is_read_by_position(tmp_path: Path) -> None:
    path = write(tmp_path, "1700000000,1,2,0.5,1.5,10\n1700000060,1,2,0.5,1.5,10\n")
    rows = list(csv_source(path, "bar").rows)
    assert [r.line for r in rows] == [1, 2]


def test_a_file_of_trades_without_header_is_read_by_position_despite_its_text_columns(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "1700000000,10,1,buy,abc\n1700000001,11,2,sell,def\n")
    rows = list(csv_source(path, "trade").rows)
    assert [r.fields for r in rows] == [
        ("1700000000", "10", "1", "buy", "abc"),
        ("1700000001", "11", "2", "sell", "def"),
    ]


def test_a_bad_byte_past_the_first_line_is_left_to_its_row(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(b"time,price,amount\n1,10,2\n2,1\xe90,2\n")
    rows = list(csv_source(path, "trade").rows)
    assert rows[1].fields[1] == "1\ufffd0"  # refused by the row checks as not a number
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x7fELF\x02\x01\x00\xff\n1,2\n")
    with pytest.raises(SourceError, match="first line is not UTF-8 text"):
        csv_source(binary, "trade")


def test_a_header_missing_a_required_column_is_refused_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path, "time,open,high,close,volume\n1,1,1,1,1\n")
    with pytest.raises(SourceError, match="no column for low"):
        csv_source(path, "bar")


def test_short_rows_yield_missing_fields_and_raw_text_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path, 'time,price,amount,side\n1,"10,5",2\n')
    [row] = list(csv_source(path, "trade").rows)
    assert row.fields == ("1", "10,5", "2", None, None)
    assert row.raw == '1,"10,5",2'


def test_each_line_is_a_row_so_a_stray_quote_stays_on_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'time,price,amount\n1,"10\n5",2\n3,4,5\n')
    rows = list(csv_source(path, "trade").rows)
    assert [(r.line, r.raw) for r in rows] == [(2, '1,"10'), (3, '5",2'), (4, "3,4,5")]
    assert rows[2].fields[:3] == ("3", "4", "5") and rows[2].problem is None


def test_a_line_csv_cannot_split_is_a_row_with_the_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "time,price,amount\n1," + "9" * 200_000 + ",2\n3,4,5\n")
    previous = csv.field_size_limit(131_072)  # the default (a test elsewhere in this process raises it)
    try:
        first, second = csv_source(path, "trade").rows
    finally:
        csv.field_size_limit(previous)
    assert first.line == 2 and first.problem is not None and "field larger than field limit" in first.problem
    assert second.fields[:3] == ("3", "4", "5")


def test_quotes_columns_accept_common_aliases(tmp_path: Path) -> None:
    path = write(tmp_path, "ts,best_bid,bid_qty,best_ask,ask_qty\n1,9,1,10,2\n")
    [row] = list(csv_source(path, "quote").rows)
    assert row.fields == ("1", "9", "1", "10", "2")


def test_missing_and_empty_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        csv_source(tmp_path / "nope.csv", "bar")
    with pytest.raises(SourceError, match="empty"):
        csv_source(write(tmp_path, ""), "bar")


def test_the_digest_identifies_the_content(tmp_path: Path) -> None:
    a = csv_source(write(tmp_path, "t,open,high,low,close,volume\n"), "bar").digest
    b = csv_source(write(tmp_path, "t,open,high,low,close,volume\n1,1,1,1,1,1\n"), "bar").digest
    assert a != b and len(a) == 64
