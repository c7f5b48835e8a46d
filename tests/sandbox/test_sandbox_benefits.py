from conftest import assert_wix_error

from sandbox import DEMO_MEMBER_ID, DEMO_POOL_ID

POOLS = "/benefit-programs/v1/pools/query"
BAL_Q = "/benefit-programs/v1/balances/query"
TX_Q = "/benefit-programs/v1/transactions/query"


def _all_pages(client, path, key, query):
    out, pages = [], 0
    r = client.post(path, json={"query": query}).json()
    while True:
        out.extend(r[key])
        pages += 1
        if not r["metadata"]["hasNext"]:
            assert r["metadata"]["cursors"]["next"] is None
            return out, pages
        cursor = r["metadata"]["cursors"]["next"]
        r = client.post(path, json={"query": {"cursorPaging": {"cursor": cursor, "limit": query["cursorPaging"]["limit"]}}}).json()


def test_pools_member_in_and_status_filters(client, studio):
    ids = [m["id"] for m in studio.members[:40]]
    flt = {
        "$and": [{"beneficiary.memberId": {"$in": ids}}, {"status": {"$in": ["ACTIVE", "PAUSED"]}}],
        "namespace": "@wix/pricing-plans",
    }
    pools, pages = _all_pages(client, POOLS, "pools", {"filter": flt, "cursorPaging": {"limit": 7}})
    expected = {p["id"] for m in ids for p in studio.pools_for(m) if p["status"] in ("ACTIVE", "PAUSED")}
    assert {p["id"] for p in pools} == expected and len(pools) == len(expected)
    assert pages >= 3
    dates = [p["createdDate"] for p in pools]
    assert dates == sorted(dates, reverse=True)  # default sort: createdDate DESC


def test_pools_single_member_and_sort_asc(client, studio):
    r = client.post(
        POOLS,
        json={
            "query": {"filter": {"beneficiary.memberId": DEMO_MEMBER_ID}, "sort": [{"fieldName": "createdDate", "order": "ASC"}]}
        },
    )
    pools = r.json()["pools"]
    assert [p["displayName"] for p in pools] == ["5-Class Pack", "10-Class Pack"]
    assert r.json()["metadata"] == {"count": 2, "cursors": {"next": None, "prev": None}, "hasNext": False}


def test_cursor_ignores_body_filter_and_prev_cursor(client):
    first = client.post(POOLS, json={"query": {"filter": {"status": "ACTIVE"}, "cursorPaging": {"limit": 5}}}).json()
    nxt = first["metadata"]["cursors"]["next"]
    second = client.post(POOLS, json={"query": {"filter": {"status": "ENDED"}, "cursorPaging": {"cursor": nxt, "limit": 5}}}).json()
    assert all(p["status"] == "ACTIVE" for p in second["pools"])
    assert not {p["id"] for p in first["pools"]} & {p["id"] for p in second["pools"]}
    prev = second["metadata"]["cursors"]["prev"]
    back = client.post(POOLS, json={"query": {"cursorPaging": {"cursor": prev, "limit": 5}}}).json()
    assert [p["id"] for p in back["pools"]] == [p["id"] for p in first["pools"]]


def test_bad_cursor_and_limits_are_400(client):
    body = assert_wix_error(client.post(POOLS, json={"query": {"cursorPaging": {"cursor": "garbage"}}}), 400)
    assert "invalid cursor" in body["message"]
    good = client.post(POOLS, json={"query": {"cursorPaging": {"limit": 1}}}).json()["metadata"]["cursors"]["next"]
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    assert_wix_error(client.post(POOLS, json={"query": {"cursorPaging": {"cursor": tampered}}}), 400)
    # a pools cursor is not a balances cursor
    assert_wix_error(client.post(BAL_Q, json={"query": {"cursorPaging": {"cursor": good}}}), 400)
    assert_wix_error(client.post(POOLS, json={"query": {"cursorPaging": {"limit": 101}}}), 400, "MAX")
    sort6 = [{"fieldName": "createdDate"}] * 6
    assert_wix_error(client.post(POOLS, json={"query": {"sort": sort6}}), 400)
    assert_wix_error(client.post(POOLS, json={"query": {"filter": {"status": {"$regex": "x"}}}}), 400)
    r = client.post(POOLS, json={"query": {}})
    assert r.json()["metadata"]["count"] == 50 and r.json()["metadata"]["hasNext"] is True


def test_get_pool_and_balance_and_unknown(client, studio):
    assert client.get(f"/benefit-programs/v1/pools/{DEMO_POOL_ID}").json()["pool"]["displayName"] == "10-Class Pack"
    bal = client.get(f"/benefit-programs/v1/balances/{DEMO_POOL_ID}", params={"poolId": DEMO_POOL_ID}).json()["balance"]
    assert bal["amount"] == {"available": "7", "reserved": "1"} and bal["poolInfo"]["creditAmount"] == "10"
    assert bal["poolInfo"]["status"] == "ACTIVE" and isinstance(bal["revision"], str)
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_wix_error(client.get(f"/benefit-programs/v1/pools/{unknown}"), 404, "POOL_NOT_FOUND")
    assert_wix_error(client.get(f"/benefit-programs/v1/balances/{unknown}"), 404, "BALANCE_NOT_FOUND")
    unlimited = next(p for p in studio.pools if p["displayName"] == "Unlimited Monthly")
    assert_wix_error(client.get(f"/benefit-programs/v1/balances/{unlimited['id']}"), 404)
    assert client.get(f"/benefit-programs/v1/pools/{unlimited['id']}").status_code == 200


def test_list_balances_with_pool_ids(client, studio):
    with_bal = [p["id"] for p in studio.pools if studio.balance(p["id"])]
    ids = with_bal[:30]
    r = client.get("/benefit-programs/v1/balances", params={"poolIds": ids, "cursorPaging.limit": 12})
    body = r.json()
    got = [b["id"] for b in body["balances"]]
    assert got == ids[:12] and body["metadata"]["hasNext"]
    while body["metadata"]["hasNext"]:
        body = client.get(
            "/benefit-programs/v1/balances",
            params={"cursorPaging.cursor": body["metadata"]["cursors"]["next"], "cursorPaging.limit": 12},
        ).json()
        got += [b["id"] for b in body["balances"]]
    assert got == ids
    # docs example form poolIds[0]=…
    r = client.get(f"/benefit-programs/v1/balances?poolIds%5B0%5D={DEMO_POOL_ID}")
    assert [b["id"] for b in r.json()["balances"]] == [DEMO_POOL_ID]
    r = client.get("/benefit-programs/v1/balances", params={"poolIds": with_bal[:101]})
    assert_wix_error(r, 400)


def test_query_balances_by_members(client, studio):
    ids = [m["id"] for m in studio.members[:100]]
    bals, pages = _all_pages(
        client, BAL_Q, "balances", {"filter": {"beneficiary.memberId": {"$in": ids}}, "cursorPaging": {"limit": 100}}
    )
    got = {b["id"] for b in bals}
    assert len(got) == len(bals) and pages == 2
    expected = {p["id"] for m in ids for p in studio.pools_for(m) if studio.balance(p["id"])}
    assert got == expected
    r = client.post(BAL_Q, json={"query": {"filter": {"id": DEMO_POOL_ID}}})
    assert [b["amount"]["available"] for b in r.json()["balances"]] == ["7"]


def test_transactions_query_and_get(client, studio):
    hist = studio.transactions_for(studio.pools[2]["id"]) if studio.balance(studio.pools[2]["id"]) else []
    long_pool = max(studio.pools[:40], key=lambda p: len(studio.transactions_for(p["id"])))
    n = len(studio.transactions_for(long_pool["id"]))
    assert n >= 50
    txs, pages = _all_pages(
        client,
        TX_Q,
        "transactions",
        {
            "filter": {"pool.id": long_pool["id"]},
            "sort": [{"fieldName": "createdDate", "order": "DESC"}],
            "cursorPaging": {"limit": 20},
        },
    )
    assert len(txs) == n and pages >= 3
    assert [t["createdDate"] for t in txs] == sorted((t["createdDate"] for t in txs), reverse=True)
    one = txs[5]
    r = client.get(f"/benefit-programs/v1/transactions/{one['id']}")
    assert r.json()["transaction"] == one
    by_member = client.post(
        TX_Q, json={"query": {"filter": {"beneficiary.memberId": DEMO_MEMBER_ID}, "cursorPaging": {"limit": 100}}}
    ).json()["transactions"]
    assert {t["pool"]["id"] for t in by_member} == {p["id"] for p in studio.pools_for(DEMO_MEMBER_ID)}
    assert_wix_error(
        client.get("/benefit-programs/v1/transactions/00000000-0000-4000-8000-000000000000"), 404, "TRANSACTION_NOT_FOUND"
    )
    assert isinstance(hist, list)


def test_transaction_get_on_a_fresh_server_finds_lazy_history(server, client, studio):
    pool = studio.pools[77]
    if studio.balance(pool["id"]) is None:
        pool = next(p for p in studio.pools[78:] if studio.balance(p["id"]))
    last_tx = studio.balance(pool["id"])["lastTransactionId"]
    assert pool["id"] not in studio._histories
    r = client.get(f"/benefit-programs/v1/transactions/{last_tx}")
    assert r.status_code == 200 and r.json()["transaction"]["pool"]["id"] == pool["id"]


def test_programs_and_pool_definitions_both_prefixes(client, studio):
    progs = client.post(
        "/benefit-programs/v1/programs/query", json={"query": {"filter": {"status": "ACTIVE"}, "cursorPaging": {"limit": 10}}}
    ).json()
    assert progs["programs"] and all(p["status"] == "ACTIVE" for p in progs["programs"])
    pid = studio.pools_for(DEMO_MEMBER_ID)[1]["programId"]
    assert client.get(f"/benefit-programs/v1/programs/{pid}").json()["program"]["displayName"] == "10-Class Pack"
    a = client.post("/_api/benefit-programs/v1/pool-definitions/query", json={"query": {}}).json()
    b = client.post("/benefit-programs/v1/pool-definitions/query", json={"query": {}}).json()
    assert a == b and len(a["poolDefinitions"]) == 6
    names = {d["displayName"] for d in a["poolDefinitions"]}
    assert {
        "Intro Offer \u2014 2 Classes",
        "5-Class Pack",
        "10-Class Pack",
        "20-Class Pack",
        "Monthly 8 Classes",
        "Unlimited Monthly",
    } == names
    d0 = a["poolDefinitions"][0]
    for prefix in ("/_api/benefit-programs/v1", "/benefit-programs/v1"):
        r = client.get(f"{prefix}/pool-definitions/{d0['id']}")
        assert r.json()["poolDefinition"] == d0
    r = client.post(
        "/benefit-programs/v1/pool-definitions/query",
        json={"query": {"filter": {"programDefinitionIds": {"$hasSome": d0["programDefinitionIds"]}}}},
    )
    assert [d["id"] for d in r.json()["poolDefinitions"]] == [d0["id"]]


def test_ai_credits_shape(client, studio):
    r = client.post("/appmarket/credittransactions/v1/credit-transactions/balance", json={})
    body = r.json()
    assert r.status_code == 200
    for k in ("periodicCredits", "topUpCredits"):
        assert isinstance(body[k]["balance"], int) and isinstance(body[k]["cap"], int)
        assert 0 <= body[k]["balance"] <= body[k]["cap"]
    rules = [u for cb in body["creditBalanceBreakdown"] for u in cb["usageRules"]]
    assert {u["period"] for u in rules} == {"MONTH", "NO_PERIOD"}
    assert body["creditBalanceBreakdown"][0]["subscriptionId"]
    assert body == studio.ai_credits


def test_transactions_polling_by_created_date_without_pool_filter(client, studio):
    since = "2026-11-21T00:00:00.000Z"
    r = client.post(
        TX_Q,
        json={
            "query": {
                "filter": {"createdDate": {"$gt": since}},
                "sort": [{"fieldName": "createdDate", "order": "ASC"}],
                "cursorPaging": {"limit": 100},
            }
        },
    )
    got = r.json()["transactions"]
    expected = sorted(
        (t for p in studio.pools for t in studio.transactions_for(p["id"]) if t["createdDate"] > since),
        key=lambda t: (t["createdDate"], t["id"]),
    )
    assert got and [t["id"] for t in got] == [t["id"] for t in expected][:100]
    assert got == expected[:100]  # the partial, uncached generation equals the full history
    assert all(t["createdDate"] > since for t in got)


def test_query_operators(client, server, studio):
    def ids(flt, path=POOLS, key="pools"):
        out, _ = _all_pages(client, path, key, {"filter": flt, "cursorPaging": {"limit": 100}})
        return {p["id"] for p in out}

    every = {p["id"] for p in studio.pools}
    paused_or_pending = ids({"$or": [{"status": "PAUSED"}, {"status": {"$eq": "PENDING"}}]})
    assert paused_or_pending == {p["id"] for p in studio.pools if p["status"] in ("PAUSED", "PENDING")}
    assert ids({"$not": {"status": "ACTIVE"}}) == {p["id"] for p in studio.pools if p["status"] != "ACTIVE"}
    assert ids({"status": {"$nin": ["ACTIVE", "ENDED"]}}) == ids(
        {"status": {"$in": ["PAUSED", "PENDING", "PROVISIONING", "RENEWING"]}}
    )
    monthly_set = studio.pools_for(studio.members[1]["id"])[0]["details"]["benefits"][0]["itemSetId"]
    assert ids({"details.benefits.itemSetId": {"$hasSome": [monthly_set]}}) == {
        p["id"] for p in studio.pools if p["displayName"] == "Monthly 8 Classes"
    }
    # Fields outside PoolQuerySpec: 400 by default; the operator engine itself, with strictness off.
    for flt in ({"details.creditConfiguration": {"$exists": False}}, {"displayName": {"$startsWith": "monthly"}}):
        assert_wix_error(client.post(POOLS, json={"query": {"filter": flt}}), 400, "OTHER")
    server.faults.update(strict_queries=False)
    assert ids({"details.creditConfiguration": {"$exists": False}}) == {
        p["id"] for p in studio.pools if p["displayName"] == "Unlimited Monthly"
    }
    assert ids({"displayName": {"$startsWith": "monthly"}}) == ids({"displayName": "Monthly 8 Classes"})
    server.faults.update(strict_queries=True)
    cut = "2026-06-01T00:00:00.000Z"
    assert ids({"createdDate": {"$lt": cut}}) | ids({"createdDate": {"$gte": cut}}) == every
    assert ids({"createdDate": {"$lt": cut}}) == {p["id"] for p in studio.pools if p["createdDate"] < cut}


def test_program_by_external_id_and_members_plain_sorting(client, studio):
    pool = studio.pools_for(DEMO_MEMBER_ID)[1]
    r = client.get(
        "/benefit-programs/v1/programs/by-namespace-and-external-id",
        params={"namespace": "@wix/pricing-plans", "externalId": pool["program"]["externalId"]},
    )
    assert r.json()["program"]["id"] == pool["programId"]
    r = client.get(
        "/members/v1/members",
        params={"sorting.fieldName": "createdDate", "sorting.order": "ASC", "paging.limit": 100, "fieldsets": "FULL"},
    )
    dates = [m["createdDate"] for m in r.json()["members"]]
    assert dates == sorted(dates) and dates[0] == min(m["createdDate"] for m in studio.members)
