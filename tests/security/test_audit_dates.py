"""Finding 6 of issue 19: dates at the edge of the calendar in the audit filters were a 500 (overflow)."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    ("zone", "query"),
    [
        ("UTC", {"until": "9999-12-31"}),
        ("Asia/Tokyo", {"since": "0001-01-01"}),  # east of UTC: midnight local is before year 1 in UTC
        ("America/New_York", {"until": "9999-12-31"}),
        ("UTC", {"since": "0001-01-01", "until": "9999-12-31"}),
    ],
)
@pytest.mark.parametrize("view", ["audit:list", "audit:export"])
def test_dates_out_of_range_are_a_400_with_a_message(owner_client, settings, zone, query, view):
    settings.TIME_ZONE = zone
    response = owner_client.get(reverse(view), query)
    assert response.status_code == 400
    assert "between" in response.content.decode()


def test_dates_inside_the_range_still_filter(owner_client, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    response = owner_client.get(reverse("audit:list"), {"since": "2000-01-01", "until": "2099-12-31"})
    assert response.status_code == 200
