"""Owners' Recent activity: the change feed's transactions, newest first, filterable by member and kind."""

import re

from django import forms
from django.views.decorators.http import require_GET

from balances import activity, roles
from balances.roles import requires
from balances.studio_state import FeedEvent
from config.web import Page, newest_first, page

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
    view.context.update(form=form, page=None)
    if not form.is_valid():
        return view.invalid(form)
    data = form.cleaned_data
    found = activity.events(member_id=data["member"], kind=data["kind"], by=data["by"])
    rows, pager = newest_first(request, found, data["page"], target="#activity-rows")
    return view.render({"page": rows, "items": activity.described(list(rows)), "pager": pager})
