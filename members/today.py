"""The Today page: the day's sessions and their attendees' credits, for the ten minutes before class.

`/today/` is today in the studio's time zone; `/today/?day=2026-03-30` any other day (the URL carries
it, so a link or a reload shows the same day). The day's part re-asks every 45 s while the page is
open; every viewer shares one cached read (balances.today.day_view_read).
"""

from datetime import date, timedelta

from django import forms
from django.views.decorators.http import require_GET

from balances import roles
from balances.roles import requires
from balances.today import day_view_read, studio_time_zone, today_in
from config.web import Page, page

from .checkin import undo_entries

# Far enough for any booking Wix keeps; a typo such as 0202 is refused before it costs a call.
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


class DayForm(forms.Form):
    day = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "Give the day as YYYY-MM-DD, for example 2026-03-30."},
    )

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day is not None and not (EARLIEST <= day <= LATEST):
            raise forms.ValidationError("Give a day between 2000 and 2100.")
        return day


@require_GET
@requires(roles.VIEW_MEMBERS)
@page("members/today.html", "day")
def today(request, view: Page):
    form = DayForm(request.GET)
    view.context.update(day_view=None, fetched=None)
    if not form.is_valid():
        return view.invalid(form)
    client, connection = view.client, view.fingerprint
    day = form.cleaned_data["day"]
    if day is None:  # which day is today depends on the studio's zone (kept an hour: rarely a call)
        day = today_in(studio_time_zone(client, connection).value)
    here = f"{request.path}?day={day.isoformat()}"
    # The day, its links and its polling are in place before Wix is asked: an error page still has
    # them, and keeps re-asking every 45 s, so it heals by itself once Wix answers again.
    view.context.update(
        day=day,
        poll_url=here,
        prev_url=f"{request.path}?day={(day - timedelta(days=1)).isoformat()}",
        next_url=f"{request.path}?day={(day + timedelta(days=1)).isoformat()}",
        today_url=request.path,
    )
    fetched = day_view_read(client, connection, day, refresh=view.refresh)
    time_zone = fetched.value.time_zone
    return view.render(
        {
            "is_today": day == today_in(time_zone),
            "time_zone": time_zone,
            "day_view": fetched.value,
            "fetched": fetched,
            "undo_entries": undo_entries(fetched.value) if request.user.has_perm(roles.CHECK_IN) else {},
            "refresh_url": f"{here}&refresh=1",
        }
    )
