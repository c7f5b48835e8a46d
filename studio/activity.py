"""Owners' Recent activity: the change feed's transactions, newest first, filterable by member and kind."""

import re

from django import forms
from django.core.paginator import Paginator
from django.views.decorators.http import require_GET

from balances import activity, roles
from balances.roles import requires
from balances.studio_state import FeedEvent
from config.web import Page, form_errors, page, paginator_pager

PER_PAGE = 50
MEMBER_ID = re.compile(r"^[0-9a-fA-F-]{1,64}$")


class ActivityFilterForm(forms.Form):
    member = forms.CharField(required=False, max_length=64, strip=True, label="Member ID")
    kind = forms.ChoiceField(required=False, choices=[("", "Any change"), *activity.KINDS])
    by = forms.ChoiceField(required=False, choices=[("", "Anyone"), *FeedEvent.By.choices], label="By")
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)

    def clean_member(self) -> str:
        member = self.cleaned_data["member"]
        if member and not MEMBER_ID.match(member):
            raise forms.ValidationError("A member ID is a Wix GUID, like 0d5c…-…; open a member to copy theirs.")
        return member


@require_GET
@requires(roles.VIEW_AUDIT)
@page("studio/activity.html", "rows")
def recent_activity(request, view: Page):
    form = ActivityFilterForm(request.GET)
    if not form.is_valid():
        return view.render({"form": form, "page": None, "error": form_errors(form)}, status=400)
    data = form.cleaned_data
    found = activity.events(member_id=data["member"], kind=data["kind"], by=data["by"])
    rows = Paginator(found, PER_PAGE).get_page(data["page"] or 1)
    query = request.GET.copy()
    query.pop("page", None)
    pager = paginator_pager(
        rows,
        f"Page {rows.number} of {rows.paginator.num_pages}",
        query=query.urlencode(),
        target="#activity-rows",
        prev_label="← Newer",
        next_label="Older →",
    )
    return view.render({"form": form, "page": rows, "items": activity.described(list(rows)), "pager": pager})
