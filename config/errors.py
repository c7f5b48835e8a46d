"""The last line: what a person (or the site's API caller) sees when a request fails unexpectedly.

Django calls `server_error` (handler500) inside its `except` for any exception nothing else handled, so
the exception is at hand. PostgreSQL being unreachable is not a bug: it answers 503 with a page that says
so (JSON under /api/), and nothing in it touches the database. Anything else answers 500 with a page that
never claims nothing changed. An htmx request gets a notice swapped above the page (never a whole error
page over a form: the form's key is what makes sending it again safe).
"""

import sys

from django.db import DatabaseError
from django.http import HttpResponse, JsonResponse
from django.template import loader

DATABASE_DOWN = "Credit Desk cannot reach its database right now. Nothing was sent to Wix. Try again in a minute."
UNEXPECTED = (
    "Credit Desk hit an unexpected error. If you were making a change, it may or may not have been applied — "
    "the form is left as it was, and sending it again applies it at most once."
)


def server_error(request, template_name="500.html"):
    error = sys.exception()
    database_down = isinstance(error, DatabaseError)
    status = 503 if database_down else 500
    message = DATABASE_DOWN if database_down else UNEXPECTED
    if request.path.startswith("/api/"):
        code = "database_unavailable" if database_down else "internal"
        response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    elif request.headers.get("HX-Request") == "true":
        response = HttpResponse(f'<p id="request-failed" class="banner banner-error" role="alert">{message}</p>', status=status)
        response["HX-Retarget"] = "#request-failed"
        response["HX-Reswap"] = "outerHTML"
    else:
        template = "503_database.html" if database_down else template_name
        response = HttpResponse(loader.get_template(template).render(), status=status)
    if database_down:
        response["Retry-After"] = "30"
    response["Cache-Control"] = "no-store"
    return response
