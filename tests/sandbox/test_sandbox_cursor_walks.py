"""A cursor walk reuses its first page's sorted results (fast at 50,000 members) but never serves stale
results after the studio changed."""

from sandbox.plans import PLANS

BAL_Q = "/benefit-programs/v1/balances/query"


def _walk(client, limit=40):
    page = client.post(BAL_Q, json={"query": {"cursorPaging": {"limit": limit}}}).json()
    items = list(page["balances"])
    while page["metadata"]["cursors"]["next"]:
        cursor = page["metadata"]["cursors"]["next"]
        page = client.post(BAL_Q, json={"query": {"cursorPaging": {"cursor": cursor, "limit": limit}}}).json()
        items += page["balances"]
    return items


def test_a_walk_sees_every_balance_once_and_sorts_only_once(client, studio):
    ids = [b["id"] for b in _walk(client)]
    assert len(ids) == len(set(ids)) == len(studio._balances)
    assert len(studio.query_results) == 1  # one sorted list served the whole walk


def test_a_change_between_pages_is_seen_by_the_rest_of_the_walk(client, studio):
    first = client.post(BAL_Q, json={"query": {"cursorPaging": {"limit": 40}}}).json()
    member = studio.members[0]["id"]
    studio.add_pool(member, next(iter(PLANS)), available="3")
    rest = client.post(
        BAL_Q, json={"query": {"cursorPaging": {"cursor": first["metadata"]["cursors"]["next"], "limit": 40}}}
    ).json()
    assert len(studio.query_results) == 2  # the change made the walk sort afresh
    assert rest["metadata"]["count"] == 40
