"""The owner's morning digest: its settings page, a preview, the one page outside login (unsubscribe),
and the rendering and sending (the `morning-digest` job in studio/tasks.py calls `send_due`).

What the digest says, who gets it when, and the at-most-once claim are in balances/digest.py.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from balances import digest, roles
from balances.roles import requires
from balances.studio_state import DigestSubscription
from config.web import form_errors

log = logging.getLogger(__name__)


class DigestForm(forms.ModelForm):
    send_at = forms.TimeField(
        label="Send at",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time like 07:00.", "required": "Enter a time like 07:00."},
    )

    class Meta:
        model = DigestSubscription
        fields = ["enabled", "send_at"]
        labels = {"enabled": "E-mail me the morning digest"}


def _subscription(user) -> DigestSubscription:
    return DigestSubscription.objects.filter(user=user).first() or DigestSubscription(user=user)


@require_http_methods(["GET", "POST"])
@requires(roles.MANAGE_CONNECTION)
def digest_settings(request: HttpRequest) -> HttpResponse:
    subscription = _subscription(request.user)
    saved = False
    if request.method == "POST":
        form = DigestForm(request.POST, instance=subscription)
        if not form.is_valid():
            context = {"form": form, "error": form_errors(form), "zone": settings.TIME_ZONE}
            return TemplateResponse(request, "studio/digest.html", context, status=400)
        form.save()
        saved = True
    form = DigestForm(instance=subscription)
    context = {"form": form, "saved": saved, "zone": settings.TIME_ZONE, "email": getattr(request.user, "email", "")}
    return TemplateResponse(request, "studio/digest.html", context)


@require_GET
@requires(roles.MANAGE_CONNECTION)
def digest_preview(request: HttpRequest) -> HttpResponse:
    """Today's digest as it would be sent to this owner (the demo has no mail server to look in)."""
    subscription = _subscription(request.user)
    context = _email_context(digest.build(digest.current_fingerprint()), subscription, preview=True)
    if request.GET.get("format") == "text":
        return HttpResponse(render_to_string("emails/digest.txt", context), content_type="text/plain; charset=utf-8")
    return HttpResponse(render_to_string("emails/digest.html", context))


@login_not_required  # the one page outside login: the signed token is the credential, and it does one thing
@require_http_methods(["GET", "POST"])
def digest_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the link will do (a GET changes nothing: mail scanners open links); POST does it."""
    try:
        if request.method == "POST":
            subscription = digest.unsubscribe(token)
            return TemplateResponse(request, "studio/digest_unsubscribe.html", {"done": True, "user": subscription.user})
        subscription = digest.subscription_for(token)
    except digest.TokenRefused as refused:
        status = 410 if refused.used else 400
        return TemplateResponse(request, "studio/digest_unsubscribe.html", {"error": refused.message}, status=status)
    return TemplateResponse(request, "studio/digest_unsubscribe.html", {"owner": subscription.user.get_username()})


# --- rendering and sending ----------------------------------------------------------------------------


def _link(name: str, *args: str, query: str = "") -> str:
    return settings.DASHBOARD_URL + reverse(name, args=args) + (f"?{query}" if query else "")


def _member_link(member_id: str) -> str:
    try:
        return _link("members:detail", member_id)
    except NoReverseMatch:  # not a Wix member ID: the list it is on is the next best place
        return _link("home")


def _email_context(data: digest.Digest, subscription: DigestSubscription, *, preview: bool = False) -> dict:
    token = digest.unsubscribe_token(subscription) if subscription.pk else ""
    return {
        "digest": data,
        "sections": [
            {
                "section": s,
                "url": _link("members:attention", s.key),
                "more": s.count - len(s.members),
                "rows": [(f, _member_link(f.member_id)) for f in s.members],
            }
            for s in data.sections
        ],
        "drift": [(d, _member_link(d.member_id)) for d in data.drift],
        "home_url": _link("home"),
        "activity_url": _link("activity"),
        "audit_url": _link("audit:list"),
        "settings_url": _link("digest:settings"),
        "unsubscribe_url": _link("digest:unsubscribe", token) if token else "",
        "preview": preview,
        "zone": settings.TIME_ZONE,
    }


def message_for(subscription: DigestSubscription, data: digest.Digest) -> EmailMultiAlternatives:
    context = _email_context(data, subscription)
    subject = f"Credit Desk — {data.day:%A %d %B}: " + ", ".join(f"{s.count} {s.title.lower()}" for s in data.sections[:2])
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscription.user.email],
        headers={"List-Unsubscribe": f"<{context['unsubscribe_url']}>"},
    )
    message.attach_alternative(render_to_string("emails/digest.html", context), "text/html")
    return message


def send_due(worker: str, now: datetime | None = None) -> tuple[int, int]:
    """Send every digest whose time has come, each at most once per owner per day; (sent, failed)."""
    now = now or timezone.now()
    digest.report_lost(now)
    due = digest.due(now)
    if not due:
        return 0, 0
    today = now.astimezone(digest.studio_zone()).date()
    data = digest.build(digest.current_fingerprint(), today)
    sent = failed = 0
    for subscription in due:
        delivery = digest.claim(subscription, today, worker)
        if delivery is None:
            continue  # another worker has it
        # From here on this owner's digest of today is ours alone; if we die before the send, it is lost.
        try:
            message_for(subscription, data).send()
        except Exception as error:  # the SMTP server refused or was away: logged, shown on the Jobs page
            log.exception("morning digest to %s failed", subscription.user.get_username())
            digest.mark_failed(delivery, f"{type(error).__name__}: {error}")
            failed += 1
            continue
        digest.mark_sent(delivery)
        sent += 1
    return sent, failed
