"""The owner's morning digest, sent through a real SMTP server on loopback (aiosmtpd) and read as it arrived:
once per owner per day, the right members in HTML and plain text, links into the dashboard, an unsubscribe
link that works once without login and is refused when tampered with; a crash between claim and send loses
that day's digest and says so."""

import email
import socket
import threading
import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal
from email import policy
from zoneinfo import ZoneInfo

import environ
import pytest
from aiosmtpd.controller import Controller
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from balances import digest, feed
from balances.models import DigestDelivery, DigestSubscription
from balances.wix.connection import connection_fingerprint, current_auth, get_client
from studio.digest import send_due

pytestmark = pytest.mark.django_db


class Inbox:
    """What the loopback SMTP server received."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    # Configured exactly as production is: EMAIL_URL through django-environ.
    for name, value in environ.Env.email_url_config(f"smtp://127.0.0.1:{port}").items():
        setattr(settings, name, value)
    settings.DASHBOARD_URL = "https://desk.example.com"
    yield inbox
    controller.stop()


@pytest.fixture
def subscribed(owner):
    owner.email = "owner@studio.example"
    owner.save()
    return DigestSubscription.objects.create(user=owner, enabled=True, send_at=time(7, 0))


def _tomorrow_at(hour, minute=0):
    zone = ZoneInfo(timezone.get_current_timezone_name())
    day = timezone.now().astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(day, time(hour, minute), zone)


def _parts(message):
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


@pytest.fixture
def studio_state(fresh_wix):
    """The feed's state, and one change made today (tomorrow's digest reports it as yesterday's)."""
    client, fp = get_client(), connection_fingerprint(current_auth())
    feed.rebuild(client, fp)
    pool = next(p for p in fresh_wix.studio.pools if p["status"] == "ACTIVE" and fresh_wix.studio.balance(p["id"]))
    fresh_wix.studio.change_balance(pool["id"], op="ADJUST", value=Decimal(1), idempotency_key=f"x-{uuid.uuid4()}")
    feed.poll(client, fp)
    return feed.cached_state_report(fp)


def test_the_digest_arrives_once_with_the_right_members_and_links(smtp, subscribed, studio_state):
    at = _tomorrow_at(7, 5)
    assert send_due("worker-a", at) == (1, 0)
    assert send_due("worker-b", at) == (0, 0)  # a second worker: the day is claimed
    assert send_due("worker-a", at + timedelta(hours=3)) == (0, 0)  # later the same day: still once
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == ["owner@studio.example"]
    text, html = _parts(message)
    out = studio_state.groups["out"]
    assert out and studio_state.groups["paused"]
    for flagged in out[: digest.LIST_LIMIT]:
        assert flagged.name in text and flagged.name in html
    shown = {f.member_id for key in digest.SECTIONS for f in studio_state.groups[key][: digest.LIST_LIMIT]}
    others = [f for f in studio_state.groups["renewing"] if f.member_id not in shown]
    for flagged in others:  # "renewing now" is not a digest section
        assert flagged.name not in text
    assert f"Out of credits: {len(out)}" in text and "Yesterday's changes: 1" in text
    assert "https://desk.example.com/members/attention/out/" in html
    assert f"https://desk.example.com/members/{out[0].member_id}/" in html
    assert "https://desk.example.com/digest/unsubscribe/" in text and message["List-Unsubscribe"]
    delivery = DigestDelivery.objects.get()
    assert delivery.sent_at is not None and delivery.worker == "worker-a"


def test_nothing_is_sent_before_the_chosen_time_or_to_owners_who_did_not_opt_in(smtp, subscribed, studio_state, owner):
    assert send_due("w", _tomorrow_at(6, 59)) == (0, 0)
    subscribed.enabled = False
    subscribed.save()
    assert send_due("w", _tomorrow_at(9)) == (0, 0)
    assert smtp.messages == []


def _unsubscribe_link(smtp):
    text, _ = _parts(smtp.messages[-1][1])
    link = next(word for word in text.split() if "/digest/unsubscribe/" in word)
    return link.removeprefix("https://desk.example.com")


def test_the_unsubscribe_link_works_once_without_login_and_refuses_a_tampered_token(smtp, subscribed, studio_state):
    send_due("w", _tomorrow_at(7, 1))
    path = _unsubscribe_link(smtp)
    anonymous = Client()
    shown = anonymous.get(path)
    assert shown.status_code == 200 and b"Unsubscribe</button>" in shown.content
    assert DigestSubscription.objects.get().enabled  # looking at the link changes nothing

    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert anonymous.post(reverse("digest:unsubscribe", args=[tampered])).status_code == 400
    other_purpose = signing.dumps({"u": subscribed.user_id, "g": 0}, compress=True)  # signed, but not for this
    assert anonymous.post(reverse("digest:unsubscribe", args=[other_purpose])).status_code == 400
    assert DigestSubscription.objects.get().enabled

    done = anonymous.post(path)
    assert done.status_code == 200 and b"Unsubscribed" in done.content
    assert not DigestSubscription.objects.get().enabled
    assert anonymous.post(path).status_code == 410  # once
    assert anonymous.get(path).status_code == 410
    assert send_due("w", _tomorrow_at(7, 1) + timedelta(days=1)) == (0, 0)
    assert len(smtp.messages) == 1


def test_a_crash_between_claiming_and_sending_loses_that_days_digest_and_logs_it(smtp, subscribed, studio_state, caplog):
    at = _tomorrow_at(7, 2)
    assert digest.claim(subscribed, at.date(), "worker-that-dies") is not None  # …and then it died
    assert send_due("worker-b", at) == (0, 0)
    assert send_due("worker-b", at + timedelta(minutes=15)) == (0, 0)
    assert smtp.messages == []
    assert "never sent" in caplog.text and "lost" in caplog.text
    assert DigestDelivery.objects.get().error.startswith("lost")
    assert send_due("worker-b", at + timedelta(days=1)) == (1, 0)  # the next day goes out as usual


def test_owners_choose_the_time_and_preview_it(owner_client, frontdesk, subscribed, studio_state):
    saved = owner_client.post(reverse("digest:settings"), {"enabled": "on", "send_at": "06:30"})
    assert saved.status_code == 200
    assert DigestSubscription.objects.get().send_at == time(6, 30)
    assert owner_client.post(reverse("digest:settings"), {"enabled": "on", "send_at": "25:99"}).status_code == 400
    preview = owner_client.get(reverse("digest:preview"))
    assert preview.status_code == 200 and studio_state.groups["out"][0].name.encode() in preview.content
    text = owner_client.get(reverse("digest:preview"), {"format": "text"})
    assert text["Content-Type"].startswith("text/plain") and b"Out of credits" in text.content
    desk = Client()
    desk.force_login(frontdesk)
    assert desk.get(reverse("digest:preview")).status_code == 403
