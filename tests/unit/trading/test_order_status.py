import pytest

from domain.trading.order_status import (
    TERMINAL,
    TRANSITIONS,
    IllegalOrderTransition,
    OrderStatus,
    transition,
)

S = OrderStatus


def test_every_status_has_a_row_and_terminal_states_are_the_final_ones() -> None:
    assert set(TRANSITIONS) == set(OrderStatus)
    assert {S.DENIED, S.REJECTED, S.FILLED, S.CANCELLED, S.EXPIRED} == TERMINAL


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.INITIALIZED, S.SUBMITTED),
        (S.INITIALIZED, S.DENIED),
        (S.SUBMITTED, S.ACCEPTED),
        (S.SUBMITTED, S.FILLED),
        (S.ACCEPTED, S.PARTIALLY_FILLED),
        (S.PARTIALLY_FILLED, S.PARTIALLY_FILLED),
        (S.PARTIALLY_FILLED, S.FILLED),
        (S.ACCEPTED, S.CANCELLED),
        (S.ACCEPTED, S.EXPIRED),
        (S.SUBMITTED, S.REJECTED),
    ],
)
def test_the_lifecycle_allows_the_normal_paths(current: OrderStatus, target: OrderStatus) -> None:
    assert transition(current, target) is target


@pytest.mark.parametrize("terminal", sorted(TERMINAL))
def test_nothing_leaves_a_terminal_state(terminal: OrderStatus) -> None:
    for target in OrderStatus:
        with pytest.raises(IllegalOrderTransition):
            transition(terminal, target)


def test_the_error_names_the_illegal_transition() -> None:
    with pytest.raises(IllegalOrderTransition, match="order o-1 cannot become CANCELLED: it was FILLED"):
        transition(S.FILLED, S.CANCELLED, "o-1")
    with pytest.raises(IllegalOrderTransition, match="cannot become FILLED: it was INITIALIZED"):
        transition(S.INITIALIZED, S.FILLED)
