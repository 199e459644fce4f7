"""The basic pre-trade gate: enough cash for a buy, enough position for a sell.

Pending orders count: cash reserved by open buys and quantity promised by
open sells are taken off before checking. Every check returns the numbers it
used, approved or not; reason codes: bad_quantity, insufficient_cash,
insufficient_position.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.events.trading import Side

LIMITS_VERSION = "basic-1"
_BPS = Decimal(10_000)


@dataclass(frozen=True)
class RiskCheck:
    """The gate's verdict with what it was computed from."""

    approved: bool
    notional: Decimal
    required_cash: Decimal
    reason: str = ""
    message: str = ""


def cash_needed(quantity: Decimal, price: Decimal, fee_rate: Decimal, slippage_bps: Decimal) -> Decimal:
    """Cash a buy may consume: notional with slippage, plus the fee on that."""
    worst_price = price * (1 + slippage_bps / _BPS)
    return quantity * worst_price * (1 + fee_rate)


def check_order(
    side: Side,
    quantity: Decimal,
    price: Decimal,
    *,
    cash: Decimal,
    reserved_cash: Decimal,
    position: Decimal,
    pending_sells: Decimal,
    fee_rate: Decimal,
    slippage_bps: Decimal,
) -> RiskCheck:
    """Approve or deny one order against the account as it stands, pending orders included."""
    notional = quantity * price
    if quantity <= 0:
        return RiskCheck(
            False, notional, Decimal(0), "bad_quantity", f"order quantity must be positive, got {quantity}"
        )
    if side == "buy":
        needed = cash_needed(quantity, price, fee_rate, slippage_bps)
        available = cash - reserved_cash
        if needed > available:
            return RiskCheck(
                False,
                notional,
                needed,
                "insufficient_cash",
                f"buy needs {needed:.2f} cash, {available:.2f} available "
                f"({cash:.2f} less {reserved_cash:.2f} reserved by open buys)",
            )
        return RiskCheck(True, notional, needed)
    sellable = position - pending_sells
    if quantity > sellable:
        return RiskCheck(
            False,
            notional,
            Decimal(0),
            "insufficient_position",
            f"sell of {quantity} exceeds the {sellable} held and not already being sold "
            "(short selling is not allowed)",
        )
    return RiskCheck(True, notional, Decimal(0))
