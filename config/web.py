"""The request layer the HTML apps (members/, studio/) share.

`@page(template, partial)` wraps a view so that:
- the template is picked once: HTMX swaps get the named partial (`template#partial`), full loads and
  htmx history restores get the whole page;
- the Wix connection is resolved once, lazily (`view(request, page, ...)` reads `page.client` and
  `page.fingerprint` only if it talks to Wix);
- every Wix failure raised anywhere in the view — not configured, unreadable stored credentials,
  4xx, 5xx, rate limited, circuit open — becomes the right status with a clear message in the same
  template (or plain text for downloads), with Retry-After when Wix said when to come back.

So no view catches WixError by hand: it raises (or lets the client raise) and this layer answers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse

from balances import rate_limits
from balances.wix.client import WixClient
from balances.wix.connection import connection_fingerprint, current_auth, get_client
from balances.wix.errors import WixBadRequest, WixError, WixNotFound


def partial_template(request: HttpRequest, template: str, partial: str | None) -> str:
    """HTMX swaps get the named partial; full loads (and htmx history restores) get the page."""
    htmx = getattr(request, "htmx", None)
    if partial and htmx and not htmx.history_restore_request:
        return f"{template}#{partial}"
    return template


def error_status(error: WixError) -> int:
    """404/400 are the person's (no such thing, bad query); Wix refusing us (other 4xx) is 502; Wix being
    down, busy or not reachable (5xx, 429, no answer, no usable connection) is 503."""
    if isinstance(error, WixNotFound):
        return 404
    if isinstance(error, WixBadRequest):
        return 400
    return 503 if error.status is None or error.status >= 500 or error.status == 429 else 502


def retry_after(error: WixError) -> str | None:
    wait = getattr(error, "retry_after", None)
    return str(int(wait + 0.999)) if wait else None


class Page:
    """What a wrapped view needs from the request: its template, the Wix connection (resolved once), and
    the context an error answer keeps (so the page around the error still renders)."""

    def __init__(self, request: HttpRequest, template: str | None, context: dict[str, Any]):
        self.request = request
        self.template = template
        self.context = context
        self._auth: Any = None

    @property
    def auth(self) -> Any:
        if self._auth is None:
            self._auth = current_auth()  # raises WixNotConfigured / WixCredentialsUnreadable
        return self._auth

    @property
    def client(self) -> WixClient:
        return get_client(self.auth)

    @property
    def fingerprint(self) -> str:
        return connection_fingerprint(self.auth)

    def wix_problem(self) -> str:
        """ "" when a Wix connection is in force, else why not — for pages that still render without Wix."""
        try:
            self.auth  # noqa: B018 -- resolving it is the check
        except WixError as error:
            return error.message
        return ""

    @functools.cached_property
    def refresh(self) -> bool:
        """`?refresh=1` asks Wix instead of the read cache — at most REFRESHES_PER_MINUTE times in any
        60 s per person (rate_limits: shared by every process). Past that the cached copy is shown and
        the freshness line says why, so one login reloading cannot drain the studio's call budget."""
        if self.request.GET.get("refresh") != "1":
            return False
        wait = rate_limits.take("refresh", str(self.request.user.pk), settings.REFRESHES_PER_MINUTE)
        if wait:
            self.context["refresh_refused"] = f"Refreshed too often — showing the saved copy; refresh again in {wait} s."
            return False
        return True

    def render(self, context: dict[str, Any] | None = None, *, status: int = 200, template: str | None = None) -> TemplateResponse:
        chosen = template or self.template
        assert chosen is not None, "a download view renders no template"
        return TemplateResponse(self.request, chosen, {**self.context, **(context or {})}, status=status)

    def invalid(self, form: Any) -> TemplateResponse:
        """A query or form the view cannot use: 400, its errors in the page's error line, and the page
        around it (what the view put in `context` first) still rendered."""
        return self.render({"error": form_errors(form)}, status=400)


def page(
    template: str | None,
    partial: str | None = None,
    *,
    not_found: str | None = None,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Wrap `view(request, page, *args, **kwargs)`; see the module docstring. `not_found` replaces Wix's own
    404 message where the page knows better what was missing. With `template=None` (downloads), errors are
    plain text."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            chosen = partial_template(request, template, partial) if template else None
            current = Page(request, chosen, {**kwargs, "error": None})
            try:
                return view(request, current, *args, **kwargs)
            except WixError as error:
                return wix_error_response(current, error, not_found=not_found)

        return wrapped

    return decorate


def wix_error_response(current: Page, error: WixError, *, not_found: str | None = None) -> HttpResponse:
    status = error_status(error)
    message = not_found if not_found and isinstance(error, WixNotFound) else error.message
    if current.template is None:
        response: HttpResponse = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    else:
        response = current.render({"error": message}, status=status)
    wait = retry_after(error)
    if wait and status == 503:
        response["Retry-After"] = wait
    return response


def form_errors(form: Any) -> str:
    """A bound form's errors as one line, for pages and downloads that show them in one place."""
    return " ".join(e for errors in form.errors.values() for e in errors)


def json_error(status: int, code: str, message: str, **headers: str) -> JsonResponse:
    """The machine API's error body, {"error": {"code", "message"}}; header names use _ for -."""
    response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


# What Django's own error answers become under /api/ (config.middleware.ApiJsonErrorsMiddleware).
_JSON_ERRORS = {
    400: ("bad_request", "The request could not be read."),
    401: ("unauthenticated", "Send a valid token as 'Authorization: Bearer <token>'."),
    403: ("forbidden", "This request is not allowed."),
    404: ("not_found", "No such endpoint. The lookup is /api/v1/credits."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("too_large", "The request body is too large."),
    429: ("rate_limited", "Too many requests; retry later."),
}


def json_error_code(status: int) -> tuple[str, str]:
    if status in _JSON_ERRORS:
        return _JSON_ERRORS[status]
    if status >= 500:
        return "server_error", "Something went wrong on our side; retry later."
    return "error", "The request was refused."


def json_api(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For the machine endpoints: a Wix failure is JSON too — 404 for no such member, otherwise 503
    (the caller can only wait; Wix's own status stays ours to log)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except WixNotFound:
            return json_error(404, "not_found", "No such member.")
        except WixError as error:
            # Always say when to come back: the site's booking flow retries, and should not hammer us.
            wait = retry_after(error) or str(settings.WIX_BREAKER_COOLOFF_SECONDS)
            return json_error(503, "upstream_unavailable", error.message, Retry_After=wait)

    return wrapped


@dataclass(frozen=True)
class Pager:
    """What components/_pager.html shows: links (empty = none), their labels, the position in words, and
    the element an HTMX click swaps (empty = plain links)."""

    prev_url: str
    next_url: str
    summary: str
    target: str = ""
    prev_label: str = "← Previous"
    next_label: str = "Next →"


def filters_query(request: HttpRequest) -> str:
    """The request's query string without its page number: the filters that paging and exports keep."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def newest_first(request: HttpRequest, items: Any, number: int | None, *, target: str, per_page: int = 50) -> tuple[Any, Pager]:
    """Page `number` (default 1) of a log listed newest first (the audit log, Recent activity), and its pager,
    whose links keep the filters and swap `target`."""
    rows = Paginator(items, per_page).get_page(number or 1)
    pager = paginator_pager(
        rows,
        f"Page {rows.number} of {rows.paginator.num_pages}",
        query=filters_query(request),
        target=target,
        prev_label="← Newer",
        next_label="Older →",
    )
    return rows, pager


def paginator_pager(page: Any, summary: str, *, query: str = "", **options: str) -> Pager:
    """A Pager for a django.core.paginator Page, keeping the rest of the query string."""
    prefix = f"?{query}&page=" if query else "?page="
    return Pager(
        prev_url=f"{prefix}{page.previous_page_number()}" if page.has_previous() else "",
        next_url=f"{prefix}{page.next_page_number()}" if page.has_next() else "",
        summary=summary,
        **options,
    )
