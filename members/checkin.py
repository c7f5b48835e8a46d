"""Check-in from the Today page: one attendee's cell (attended, no-show, undo, retry), or everyone present in a
session. Each answer replaces only the cell (or the session) it came from; every outcome — refused, busy,
unknown, Wix down — is shown there, never as a 500 (balances/checkin.py never raises for Wix trouble)."""

from __future__ import annotations

import uuid

from django import forms
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from balances import checkin, roles
from balances.audit import AuditEntry
from balances.checkin import ATTENDED, NOT_ATTENDED, CheckinRequest, CheckinResult
from balances.roles import requires
from balances.today import day_view_read, today_in
from balances.wix.bookings_records import ATTENDANCE_STATUSES
from config.web import Page, form_errors, page

# What each outcome answers: the cell swaps in on every one of them (htmx-config swaps 4xx/5xx too).
STATUS = {"applied": 200, "already": 200, "refused": 422, "failed": 502, "unknown": 503, "pending": 503, "busy": 409}
MAX_PARTICIPANTS = 100
CELL = "members/_checkin.html"


class CheckinForm(forms.Form):
    booking = forms.CharField(max_length=64)
    event = forms.CharField(max_length=250)
    status = forms.ChoiceField(choices=[(ATTENDED, "Attended"), (NOT_ATTENDED, "No-show")])
    key = forms.UUIDField(error_messages={"invalid": "This button is out of date. Reload the page and try again."})
    seen = forms.ChoiceField(choices=[(s, s) for s in ATTENDANCE_STATUSES], required=False)
    participants = forms.IntegerField(min_value=1, max_value=MAX_PARTICIPANTS, required=False)
    member = forms.UUIDField(required=False)  # "" for a guest
    name = forms.CharField(max_length=200, required=False)
    session = forms.CharField(max_length=200, required=False)


def undo_entries(day_view: object) -> dict[str, AuditEntry]:
    """The check-ins of the day that can still be undone, by booking (for the Today page's cells)."""
    sessions = getattr(day_view, "sessions", ()) or ()
    return checkin.undoable_check_ins([a.booking_id for s in sessions for a in s.attendees])


def _cell(result: CheckinResult, base: dict[str, object]) -> dict[str, object]:
    """What the cell shows after an answer: the attendance now, the message, and the buttons that make sense."""
    entry = result.entry
    return {
        **base,
        "attendance": result.status or base.get("attendance") or "NOT_SET",
        "message": result.message,
        "outcome": result.outcome,
        # An unknown outcome keeps its key: Retry must be recognisable as the same check-in.
        "retry_key": entry.idempotency_key if result.unknown and entry is not None else "",
        "retry_status": entry.attendance if result.unknown and entry is not None else "",
        "undo_entry": entry if result.outcome == "applied" and entry is not None and entry.reverts_id is None else None,
    }


@require_POST
@requires(roles.CHECK_IN)
@page(CELL, "cell")
def check_in(request, view: Page):
    form = CheckinForm(request.POST)
    base = {
        "booking_id": request.POST.get("booking", "")[:64],
        "event_id": request.POST.get("event", "")[:250],
        "attendance": request.POST.get("seen", "NOT_SET")[:16],
        "participants": 1,
        "member_id": request.POST.get("member", "")[:64],
        "name": request.POST.get("name", "")[:200],
        "session_label": request.POST.get("session", "")[:200],
    }
    view.context.update(base, message="", outcome="", retry_key="", retry_status="", undo_entry=None)
    if not form.is_valid():
        return view.render({"message": form_errors(form), "outcome": "refused"}, status=400)
    data = form.cleaned_data
    base["participants"] = data["participants"] or 1
    client = view.client  # resolved before anything is written: no connection is a clear 503 in the cell
    result = checkin.check_in(
        client,
        request.user,
        CheckinRequest(
            booking_id=data["booking"],
            event_id=data["event"],
            status=data["status"],
            idempotency_key=str(data["key"]),
            participants=data["participants"] or 1,
            seen=data["seen"] or "NOT_SET",
            member_id=str(data["member"] or ""),
            name=data["name"],
            session=data["session"],
        ),
    )
    return view.render(_cell(result, base), status=STATUS.get(result.outcome, 200))


@require_POST
@requires(roles.CHECK_IN)
@page(CELL, "cell")
def undo_check_in(request, view: Page, entry_id: int):
    original = get_object_or_404(AuditEntry, pk=entry_id, kind=AuditEntry.Kind.CHECKIN)
    base = {
        "booking_id": original.booking_id,
        "event_id": original.event_id,
        "attendance": original.attendance,
        "participants": max(original.attendees or 1, 1),
        "member_id": original.member_id,
        "name": original.member_name,
        "session_label": original.plan_name,
    }
    view.context.update(base, message="", outcome="", retry_key="", retry_status="", undo_entry=None)
    try:
        key = str(uuid.UUID(request.POST.get("key", "")))
    except ValueError:
        return view.render({"message": "This Undo button is out of date. Reload the page and try again."}, status=400)
    result = checkin.undo_check_in(view.client, request.user, original, idempotency_key=key)
    return view.render(_cell(result, base), status=STATUS.get(result.outcome, 200))


class EveryoneForm(forms.Form):
    event = forms.CharField(max_length=250)
    day = forms.DateField(input_formats=["%Y-%m-%d"])
    key = forms.UUIDField(error_messages={"invalid": "This button is out of date. Reload the page and try again."})


@require_POST
@requires(roles.CHECK_IN)
@page("members/today.html", "day")
def everyone_present(request, view: Page):
    """Mark every confirmed, not yet marked attendee of one session attended (Bulk Set Attendance, 8 a call),
    then show the day again, read fresh."""
    form = EveryoneForm(request.POST)
    view.context.update(day_view=None, fetched=None)
    if not form.is_valid():
        return view.invalid(form)
    client, connection = view.client, view.fingerprint
    day, event_id, key = form.cleaned_data["day"], form.cleaned_data["event"], form.cleaned_data["key"]
    current = day_view_read(client, connection, day).value
    session = next((s for s in current.sessions if s.event_id == event_id), None) if current else None
    if session is None:
        return view.render({"error": "That session is not on this day any more; reload the page."}, status=404)
    label = f"{session.title} {session.local_start:%H:%M}" if session.local_start else session.title
    requests = [
        CheckinRequest(
            booking_id=a.booking_id,
            event_id=event_id,
            status=ATTENDED,
            idempotency_key=f"{key}:{a.booking_id}",  # one per attendee; the same again if the button is resent
            participants=a.participants,
            seen=a.attendance,
            member_id=a.member_id,
            name=a.name,
            session=label,
        )
        for a in session.attendees
        if a.status == "CONFIRMED" and a.attendance == "NOT_SET"
    ]
    results = checkin.check_in_everyone(client, request.user, requests) if requests else []
    fetched = day_view_read(client, connection, day, refresh=True)
    time_zone = fetched.value.time_zone if fetched.value else ""
    done = sum(1 for r in results if r.applied)
    problems = [r for r in results if not r.applied]
    summary = f"{label}: {done} of {len(requests)} checked in." if requests else f"{label}: everyone was marked already."
    here = f"/today/?day={day.isoformat()}"
    return view.render(
        {
            "day": day,
            "is_today": day == today_in(time_zone) if time_zone else False,
            "time_zone": time_zone,
            "day_view": fetched.value,
            "fetched": fetched,
            "poll_url": here,
            "refresh_url": f"{here}&refresh=1",
            "bulk_summary": summary,
            "undo_entries": undo_entries(fetched.value),
            "bulk_event": event_id,
            "bulk_problems": problems,
        },
        status=200 if not problems else STATUS.get(problems[0].outcome, 200),
    )
