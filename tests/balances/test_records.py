from decimal import Decimal

from balances.wix.records import Balance, Member, Pool, Transaction, parse_decimal
from members.templatetags.credit_format import credits, signed


def test_it_parses_decimal_strings_without_float():
    assert parse_decimal("1.5") == Decimal("1.5")
    assert parse_decimal("0.0001") == Decimal("0.0001")
    assert parse_decimal(None) == Decimal(0)
    assert parse_decimal("garbage", None) is None


def test_it_parses_a_balance_with_rollover():
    balance = Balance.from_wire(
        {
            "id": "p1",
            "revision": "4",
            "beneficiary": {"memberId": "m1"},
            "amount": {"available": "7", "reserved": "1"},
            "poolInfo": {
                "id": "p1",
                "creditAmount": "10",
                "status": "ACTIVE",
                "creditRolloverConfiguration": {"enabled": True, "balanceCap": "5"},
            },
            "updatedDate": "2026-02-11T18:22:09.000Z",
            "someFutureField": {"x": 1},
        }
    )
    assert (balance.available, balance.reserved, balance.revision) == (Decimal(7), Decimal(1), "4")
    assert balance.rollover_enabled and balance.rollover_cap == Decimal(5)
    assert balance.credit_amount == Decimal(10) and balance.member_id == "m1"
    assert balance.updated.year == 2026 and balance.updated.tzinfo is not None


def test_it_tolerates_missing_optional_fields():
    balance = Balance.from_wire({"id": "p1"})
    assert balance.available == 0 and balance.rollover_cap is None and balance.updated is None
    pool = Pool.from_wire({"id": "p2", "status": "PAUSED"})
    assert pool.is_unlimited and pool.plan_name == "Plan"


def test_it_signs_transactions_from_their_direction():
    used = Transaction.from_wire({"id": "t1", "amount": "1", "source": "AVAILABLE", "target": "EXTERNAL"})
    granted = Transaction.from_wire({"id": "t2", "amount": "10", "source": "EXTERNAL", "target": "AVAILABLE"})
    taken = Transaction.from_wire({"id": "t3", "amount": "1", "source": "RESERVED", "target": "EXTERNAL"})
    booked = Transaction.from_wire({"id": "t4", "amount": "1", "source": "AVAILABLE", "target": "RESERVED"})
    assert used.available_change == Decimal(-1) and used.kind == "removed"
    assert granted.available_change == Decimal(10) and granted.kind == "added"
    # taking a booked class uses the booking, not free credits
    assert (taken.available_change, taken.reserved_change, taken.kind) == (0, Decimal(-1), "used")
    assert (booked.available_change, booked.reserved_change, booked.kind) == (Decimal(-1), Decimal(1), "reserved")


def test_it_names_members_by_contact_then_nickname_then_email():
    assert Member.from_wire({"contact": {"firstName": "Maya", "lastName": "Levi"}}).name == "Maya Levi"
    assert Member.from_wire({"profile": {"nickname": "mayal"}}).name == "mayal"
    assert Member.from_wire({"loginEmail": "a@example.com"}).name == "a@example.com"


def test_it_formats_credits_as_counts():
    assert credits(Decimal("7.0000")) == "7"
    assert credits(Decimal("1.50")) == "1.5"
    assert credits(Decimal("100")) == "100"
    assert credits(None) == "—"
    assert signed(Decimal("2")) == "+2" and signed(Decimal("-2")) == "-2"
