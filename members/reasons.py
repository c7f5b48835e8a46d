"""The owner edits the quick-adjust reasons (one per line) on Needs attention, beside the low-credit threshold."""

from django import forms
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from balances.desk.models import MAX_LENGTH, MAX_REASONS, QuickReasons
from balances.roles import requires

from .threshold import PERMISSION  # a studio setting, like the threshold

TEMPLATE = "members/_quick_reasons.html#reasons-form"


def _lines(text: str, label: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise forms.ValidationError(f"Give at least one reason to {label}.")
    if len(lines) > MAX_REASONS:
        raise forms.ValidationError(f"At most {MAX_REASONS} reasons to {label}: the picker must stay one tap.")
    too_long = [line for line in lines if len(line) > MAX_LENGTH]
    if too_long:
        raise forms.ValidationError(f"Keep each reason under {MAX_LENGTH} characters (“{too_long[0][:30]}…”).")
    return "\n".join(dict.fromkeys(lines))


class QuickReasonsForm(forms.ModelForm):
    class Meta:
        model = QuickReasons
        fields = ["add_reasons", "remove_reasons"]
        labels = {
            "add_reasons": "Reasons to add a credit (one per line)",
            "remove_reasons": "Reasons to remove a credit (one per line)",
        }
        widgets = {"add_reasons": forms.Textarea(attrs={"rows": 4}), "remove_reasons": forms.Textarea(attrs={"rows": 4})}

    def clean_add_reasons(self) -> str:
        return _lines(self.cleaned_data["add_reasons"], "add")

    def clean_remove_reasons(self) -> str:
        return _lines(self.cleaned_data["remove_reasons"], "remove")


def reasons_form() -> QuickReasonsForm:
    return QuickReasonsForm(instance=QuickReasons.current())


@require_POST
@requires(PERMISSION)
def set_quick_reasons(request):
    form = QuickReasonsForm(request.POST, instance=QuickReasons.current())
    if not form.is_valid():
        return TemplateResponse(request, TEMPLATE, {"reasons_form": form}, status=400)
    form.save()
    if not request.htmx:
        return redirect("home")
    return TemplateResponse(request, TEMPLATE, {"reasons_form": reasons_form(), "saved": True})
