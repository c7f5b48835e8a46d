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
