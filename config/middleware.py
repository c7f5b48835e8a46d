import time
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import resolve_url
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect


class HtmxLoginRedirectMiddleware:
    """Turn the login redirect of an HTMX request into a full-page client redirect.

    Without this, htmx follows the 302 inside the XHR and swaps the login form into the table
    (adamchainz/django-htmx#91). It sits before LoginRequiredMiddleware so it sees that redirect.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        login = resolve_url(settings.LOGIN_URL)
        if request.htmx and response.status_code == 302 and response["Location"].startswith(login):
            # Come back to the page the person was on, not to the partial's URL.
            target = request.htmx.current_url_abs_path or "/"
            return HttpResponseClientRedirect(f"{login}?{urlencode({'next': target})}")
        return response


class NoStoreMiddleware:
    """Member data must not linger in a shared browser's cache or a proxy; static files may."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(self.static_prefix):
            response.setdefault("Cache-Control", "no-store")
            patch_vary_headers(response, ["HX-Request"])
        return response


class SessionIdleRefreshMiddleware:
    """An idle timeout without a session write on every request.

    SESSION_COOKIE_AGE is how long a session lives after it was last saved. Saving on every request
    (SESSION_SAVE_EVERY_REQUEST) costs a database write per page; instead a logged-in session is saved
    again once it is older than SESSION_REFRESH_SECONDS, so the idle timeout holds to within that.
    """

    STAMP = "_refreshed_at"

    def __init__(self, get_response):
        self.get_response = get_response
        self.refresh_every = settings.SESSION_REFRESH_SECONDS

    def __call__(self, request):
        session = request.session
        if "_auth_user_id" in session:  # never create a session for an anonymous visitor
            now = int(time.time())
            if now - session.get(self.STAMP, 0) >= self.refresh_every:
                session[self.STAMP] = now  # marks the session modified: saved with a new expiry
        return self.get_response(request)


SESSION_STARTED = "_started_at"


def stamp_session_start(sender, request, user, **kwargs):
    """user_logged_in receiver: when this log-in began, for the absolute session lifetime."""
    request.session[SESSION_STARTED] = int(time.time())


class SessionLifetimeMiddleware:
    """Ends a logged-in session SESSION_ABSOLUTE_SECONDS after its log-in, however active it is.

    The idle timeout alone lets a busy session (or a stolen cookie kept busy) live forever. Runs
    before AuthenticationMiddleware, so an expired session is already anonymous for the rest of the
    request and LoginRequiredMiddleware sends the person to the log-in page.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.lifetime = settings.SESSION_ABSOLUTE_SECONDS

    def __call__(self, request):
        session = request.session
        if "_auth_user_id" in session:
            now = int(time.time())
            started = session.get(SESSION_STARTED)
            if started is None:  # logged in before this rule existed: its clock starts now
                session[SESSION_STARTED] = now
            elif now - started >= self.lifetime:
                session.flush()
        return self.get_response(request)


class ApiJsonErrorsMiddleware:
    """Under /api/ every answer is JSON, errors included: the callers are programs that parse the body.

    The API's own views answer JSON already (config.web.json_api); this catches the answers Django makes
    before or around them — 404 for an unknown path, 405 for a wrong method, 400 for an over-large
    body, 403 from CSRF, 500 from a crash — and gives them the same {"error": {"code", "message"}} body,
    keeping the headers a client acts on. It sits outermost, so it sees them all."""

    PREFIX = "/api/"
    KEEP = ("Allow", "Retry-After", "WWW-Authenticate")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(self.PREFIX) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        from .web import json_error, json_error_code

        status = response.status_code
        code, message = json_error_code(status)
        if status == 405 and response.has_header("Allow"):
            message = f"Use {response['Allow'].replace(',', ' or')}."
        replacement = json_error(status, code, message)
        for header in self.KEEP:
            if response.has_header(header):
                replacement[header] = response[header]
        return replacement
