import base64
import json

from conftest import assert_wix_error

from sandbox import DEMO_MEMBER_ID

Q = "/members/v1/members/query"


def test_paging_offsets_and_metadata(client, studio):
    r = client.post(Q, json={"query": {"paging": {"limit": 10, "offset": 20}}, "fieldsets": ["FULL"]})
    body = r.json()
    assert r.status_code == 200
    assert body["metadata"] == {"count": 10, "offset": 20, "total": 300, "tooManyToCount": False}
    assert [m["id"] for m in body["members"]] == [m["id"] for m in studio.members[20:30]]
    last = client.post(Q, json={"query": {"paging": {"limit": 100, "offset": 250}}}).json()
    assert last["metadata"]["count"] == 50 and len(last["members"]) == 50


def test_limit_over_100_is_400(client):
    r = client.post(Q, json={"query": {"paging": {"limit": 101}}})
    body = assert_wix_error(r, 400)
    assert body["details"]["validationError"]["fieldViolations"][0]["field"] == "query.paging.limit"


def test_search_is_case_insensitive_substring(client, studio):
    r = client.post(
        Q,
        json={
            "search": {"expression": "LEVI", "fields": ["contact.lastName"]},
            "fieldsets": ["FULL"],
            "query": {"paging": {"limit": 100}},
        },
    )
    members = r.json()["members"]
    expected = [m["id"] for m in studio.members if "levi" in m["contact"].get("lastName", "").lower()]
    assert [m["id"] for m in members] == expected and DEMO_MEMBER_ID in expected
    # default search field is profile.nickname
    r = client.post(Q, json={"search": {"expression": "maya l"}, "fieldsets": ["FULL"]})
    assert DEMO_MEMBER_ID in [m["id"] for m in r.json()["members"]]
    r = client.post(Q, json={"search": {"expression": "maya.levi@", "fields": ["loginEmail"]}})
    assert [m["id"] for m in r.json()["members"]] == [DEMO_MEMBER_ID]


def test_filter_and_sorting(client, studio):
    r = client.post(Q, json={"query": {"filter": {"status": "BLOCKED"}, "paging": {"limit": 100}}, "fieldsets": ["FULL"]})
    blocked = r.json()["members"]
    assert blocked and all(m["status"] == "BLOCKED" for m in blocked)
    assert r.json()["metadata"]["total"] == sum(m["status"] == "BLOCKED" for m in studio.members)
    r = client.post(
        Q,
        json={
            "query": {"sorting": [{"fieldName": "createdDate", "order": "DESC"}], "paging": {"limit": 100}},
            "fieldsets": ["FULL"],
        },
    )
    dates = [m["createdDate"] for m in r.json()["members"]]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == max(m["createdDate"] for m in studio.members)
    r = client.post(
        Q,
        json={
            "query": {
                "filter": {"contact.firstName": {"$startsWith": "ma"}},
                "sorting": [{"fieldName": "contact.lastName", "order": "ASC"}],
                "paging": {"limit": 100},
            },
            "fieldsets": ["FULL"],
        },
    )
    names = r.json()["members"]
    assert names and all(m["contact"]["firstName"].lower().startswith("ma") for m in names)
    r = client.post(Q, json={"query": {"filter": {"id": {"$in": [studio.members[5]["id"], studio.members[2]["id"]]}}}})
    assert [m["id"] for m in r.json()["members"]] == [studio.members[2]["id"], studio.members[5]["id"]]


def test_fieldsets(client):
    def first(fieldsets):
        body = {"query": {"paging": {"limit": 1}}}
        if fieldsets:
            body["fieldsets"] = fieldsets
        return client.post(Q, json=body).json()["members"][0]

    public = first(None)
    assert "loginEmail" not in public and "contact" not in public
    assert public["status"] == "UNKNOWN" and public["profile"]["nickname"] == "Maya L"
    extended = first(["EXTENDED"])
    assert extended["loginEmail"] == "maya.levi@example.com" and extended["status"] == "APPROVED"
    assert "contact" not in extended
    full = first(["FULL"])
    assert full["contact"]["firstName"] == "Maya" and full["contact"]["lastName"] == "Levi"
    assert first(["PUBLIC", "FULL"]) == full


def test_get_member(client):
    r = client.get(f"/members/v1/members/{DEMO_MEMBER_ID}", params={"fieldsets": "FULL"})
    assert r.status_code == 200 and r.json()["member"]["loginEmail"] == "maya.levi@example.com"
    r = client.get(f"/members/v1/members/{DEMO_MEMBER_ID}")
    assert "loginEmail" not in r.json()["member"]
    assert_wix_error(client.get("/members/v1/members/00000000-0000-4000-8000-000000000000"), 404)
    assert_wix_error(client.get("/members/v1/members/not-a-guid"), 400)


def test_list_members_plain_and_dot_r(client, studio):
    r = client.get("/members/v1/members", params={"paging.limit": 5, "paging.offset": 10, "fieldsets": "FULL"})
    plain = r.json()
    assert [m["id"] for m in plain["members"]] == [m["id"] for m in studio.members[10:15]]
    assert plain["members"][0]["contact"]
    req = {"paging": {"limit": 5, "offset": 10}, "fieldsets": ["FULL"]}
    enc = base64.urlsafe_b64encode(json.dumps(req).encode()).decode().rstrip("=")
    r = client.get("/members/v1/members", params={".r": enc})
    assert r.status_code == 200 and r.json() == plain
    # the example from wix-api.md §2
    r = client.get("/members/v1/members?.r=eyJwYWdpbmciOnsibGltaXQiOjEwLCJvZmZzZXQiOjIwfSwiZmllbGRzZXRzIjpbIkZVTEwiXX0")
    assert r.json()["metadata"]["offset"] == 20 and r.json()["metadata"]["count"] == 10
    assert_wix_error(client.get("/members/v1/members", params={".r": "!!!"}), 400)
    r = client.get("/members/v1/members", params={"paging.limit": 101})
    assert_wix_error(r, 400)
