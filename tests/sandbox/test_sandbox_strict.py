"""Strict where Wix is strict (issue 14): only the SDK query specs' fields and operators, `$in` capped at 100."""

import pytest
from conftest import assert_wix_error

from sandbox import DEMO_MEMBER_ID, DEMO_POOL_ID
from sandbox.specs import SPECS

BP = "/benefit-programs/v1"
QUERIES = {
    "pools": f"{BP}/pools/query",
    "balances": f"{BP}/balances/query",
    "transactions": f"{BP}/transactions/query",
    "programs": f"{BP}/programs/query",
    "pool-definitions": f"{BP}/pool-definitions/query",
}


def _narrow(kind, flt):
    """Transactions: within one pool, so each check does not generate every member's history."""
    return {"$and": [{"pool.id": DEMO_POOL_ID}, flt]} if kind == "transactions" else flt


@pytest.mark.parametrize("kind", sorted(QUERIES))
def test_every_listed_field_filters_and_an_unlisted_one_is_400(client, kind):
    spec = SPECS[kind]
    for field, ops in spec.filters.items():
        cond = {"$hasSome": ["x"]} if ops is not None else {"$ne": "no-such-value"}
        r = client.post(QUERIES[kind], json={"query": {"filter": _narrow(kind, {field: cond}), "cursorPaging": {"limit": 1}}})
        assert r.status_code == 200, (field, r.text)
    body = assert_wix_error(client.post(QUERIES[kind], json={"query": {"filter": {"displayName": "x"}}}), 400, "OTHER")
    violation = body["details"]["validationError"]["fieldViolations"][0]
    assert violation["field"] == "query.filter" and "displayName" in violation["description"]
    # ... also when hidden inside $and / $or / $not
    nested = {"$and": [{"id": {"$ne": "x"}}, {"$or": [{"$not": {"revision": "1"}}]}]}
    assert_wix_error(client.post(QUERIES[kind], json={"query": {"filter": nested}}), 400, "OTHER")


@pytest.mark.parametrize("kind", sorted(QUERIES))
def test_sorting_only_on_sortable_fields(client, kind):
    for field in SPECS[kind].sortable:
        sort = [{"fieldName": field, "order": "DESC"}]
        r = client.post(QUERIES[kind], json={"query": {"filter": _narrow(kind, {}), "sort": sort, "cursorPaging": {"limit": 1}}})
        assert r.status_code == 200, (field, r.text)
    r = client.post(QUERIES[kind], json={"query": {"sort": [{"fieldName": "updatedDate"}]}})
    assert_wix_error(r, 400, "OTHER")


def test_transaction_status_filters_but_does_not_sort(client):
    r = client.post(QUERIES["transactions"], json={"query": {"filter": {"status": "COMPLETED", "pool.id": DEMO_POOL_ID}}})
    assert r.status_code == 200 and r.json()["transactions"]
    assert_wix_error(client.post(QUERIES["transactions"], json={"query": {"sort": [{"fieldName": "status"}]}}), 400)


def test_array_fields_take_only_has_some_and_has_all(client):
    for cond in ("x", {"$in": ["x"]}, {"$eq": "x"}):
        r = client.post(QUERIES["pools"], json={"query": {"filter": {"details.benefits.itemSetId": cond}}})
        assert_wix_error(r, 400, "OTHER")
    r = client.post(QUERIES["pools"], json={"query": {"filter": {"details.benefits.itemSetId": {"$hasAll": ["x"]}}}})
    assert r.status_code == 200


def test_in_lists_are_capped_at_100_values_even_when_not_strict(client, server):
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(101)]
    for strict in (True, False):
        server.faults.update(strict_queries=strict)
        r = client.post(QUERIES["balances"], json={"query": {"filter": {"beneficiary.memberId": {"$in": ids}}}})
        body = assert_wix_error(r, 400, "MAX_SIZE")
        assert body["details"]["validationError"]["fieldViolations"][0]["field"] == "query.filter.beneficiary.memberId.$in"
    r = client.post(QUERIES["balances"], json={"query": {"filter": {"beneficiary.memberId": {"$in": ids[:99] + [DEMO_MEMBER_ID]}}}})
    assert r.status_code == 200 and r.json()["balances"]


def test_strictness_off_accepts_any_field(client, server):
    server.faults.update(strict_queries=False)
    assert client.post(QUERIES["pools"], json={"query": {"filter": {"displayName": "x"}}}).status_code == 200


def test_members_filter_and_sorting_fields(client):
    q = "/members/v1/members/query"
    for field in SPECS["members"].filters:
        assert client.post(q, json={"query": {"filter": {field: {"$ne": "zz"}}, "paging": {"limit": 1}}}).status_code == 200
    assert_wix_error(client.post(q, json={"query": {"filter": {"profile.title": "x"}}}), 400, "OTHER")
    assert_wix_error(client.post(q, json={"query": {"sorting": [{"fieldName": "loginEmail"}]}}), 400, "OTHER")
    r = client.post(q, json={"query": {"sorting": [{"fieldName": "contact.lastName", "order": "ASC"}]}})
    assert r.status_code == 200


def test_members_paging_without_total(client, server):
    q = "/members/v1/members/query"
    assert client.post(q, json={}).json()["metadata"]["total"] == 300
    server.faults.update(members_total=False)
    for r in (client.post(q, json={"query": {"paging": {"limit": 10, "offset": 290}}}), client.get("/members/v1/members")):
        meta = r.json()["metadata"]
        assert "total" not in meta and meta["tooManyToCount"] is True
    assert client.post(q, json={"query": {"paging": {"limit": 10, "offset": 290}}}).json()["metadata"]["count"] == 10
