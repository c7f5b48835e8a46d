"""The owner's low-credit threshold N: "running low" on Needs attention and the highlighted rows of the
member list both mean "at most N credits free to book"."""

from django import forms
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from balances import roles
from balances.models import StudioPreferences
from balances.roles import requires

# A studio setting, so it sits with the owner's other settings (Settings needs the same permission).
PERMISSION = roles.MANAGE_CONNECTION
TEMPLATE = "members/_threshold.html#threshold-form"


class ThresholdForm(forms.ModelForm):
    low_credit_threshold = forms.DecimalField(
        label="Running low means at most",
        min_value=0,
        max_value=999,
        max_digits=6,
        decimal_places=2,
        error_messages={
            "required": "Enter a number of credits, like 1 or 2.5.",
            "invalid": "Enter a number of credits, like 1 or 2.5.",
            "min_value": "The threshold cannot be below zero.",
            "max_value": "Keep the threshold under 1000 credits.",
            "max_decimal_places": "Use at most 2 decimal places.",
            "max_digits": "Keep the threshold under 1000 credits.",
            "max_whole_digits": "Keep the threshold under 1000 credits.",
        },
    )

    class Meta:
        model = StudioPreferences
        fields = ["low_credit_threshold"]


def threshold_form() -> ThresholdForm:
    return ThresholdForm(instance=StudioPreferences.current())


@require_POST
@requires(PERMISSION)
def set_threshold(request):
    form = ThresholdForm(request.POST, instance=StudioPreferences.current())
    if not form.is_valid():
        return TemplateResponse(request, TEMPLATE, {"threshold_form": form}, status=400)
    form.save()
    if not request.htmx:
        return redirect("home")  # the page starts a scan with the new threshold
    response = TemplateResponse(request, TEMPLATE, {"threshold_form": threshold_form(), "saved": True})
    return trigger_client_event(response, "threshold-changed")  # the counts reload and rescan with the new N
