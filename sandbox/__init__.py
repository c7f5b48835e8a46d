"""Credit Desk's Wix sandbox: an emulator of the Wix REST endpoints the dashboard calls.

Standard library only (no Django, no project imports). Public interface::

    from sandbox import SandboxServer, Studio, build_studio, Faults, credentials
    studio = build_studio(members=300, seed=7)
    with SandboxServer(studio, host="127.0.0.1", port=0) as server:
        server.url, server.studio, server.faults, server.log

Modules: ``server`` (route table + dispatch), ``api`` (endpoint handlers), ``query`` (filters, sorts,
cursors), ``studio``/``seed``/``plans`` (the data), ``faults`` (fault injection, strictness switches),
``auth`` (API keys, tokens), ``oauth`` (``/oauth2/*``), ``control`` (``/_sandbox/*``), ``httpserver``
(start/stop shared with the Brevo emulator in ``sandbox.brevo``), ``errors`` (Wix error bodies).
Wix Bookings (services, class schedule, bookings, attendance) lives in :mod:`sandbox.bookings`,
installed by ``build_studio`` unless ``bookings=False``.

How to add an endpoint
----------------------
1. Read the method's wire contract from Wix's reference page and the official SDK package
   (``build/cjs/meta.js`` for method + path, ``index.typings.d.ts`` for fields, query specs and the
   application-error union). The sandbox follows Wix where our client disagrees.
2. Write the handler as a pure function ``handler(studio, faults, req) -> dict`` (``req`` is
   :class:`sandbox.api.Request`: ``method``, ``path``, ``params`` (path groups), ``query`` (name →
   list of values), ``body`` (parsed JSON), ``scopes``). Hold ``studio.lock`` while reading or
   changing data. Raise errors only through :mod:`sandbox.errors` (``application_error``,
   ``validation_error``, ``system_error``) so bodies have Wix's shape; never return a 500 on bad input.
   Query endpoints go through :mod:`sandbox.query` (``validate_filter`` with the SDK's field list,
   ``cursor_query``/``cursor_page``). A new family of endpoints gets its own module beside ``api.py``.
3. Register the route: one line in ``_ROUTES_SPEC`` in ``server.py`` —
   ``(METHOD, path regex, handler, auth kind "site" | "account" | "none", mutation?)``; use ``_ID``
   for a path id, and ``mutation=True`` for writes (scripted ``apply_then_*`` faults match only those).
   Code outside ``server.py`` may call ``sandbox.server.register(...)`` with the same fields instead.
   A control endpoint for the family's test data goes in ``sandbox.control.EXTRA`` (path → handler).
4. Test it in ``tests/sandbox/`` over real HTTP (fixtures ``server``, ``client``, ``anon`` and
   ``assert_wix_error`` in ``tests/sandbox/conftest.py``): the 200 shape, each error code, auth
   (401 without a key, 403 with ``READONLY_API_KEY`` on writes), and, where the official SDK has the
   method, a call from ``tests/sdk/check.mjs``.
5. List it in ``sandbox/README.md`` (Endpoints) and note any guess about Wix under "Choices where Wix
   is unconfirmed".

Accepted credentials are documented in :mod:`sandbox.credentials`; fault and strictness switches in
:class:`sandbox.faults.Faults`.
"""

from . import credentials
from .faults import Faults
from .log import RequestLog, RequestRecord
from .seed import DEMO_EMAIL, DEMO_ENDED_POOL_ID, DEMO_MEMBER_ID, DEMO_POOL_ID, build_studio
from .server import SandboxServer
from .studio import REF_NOW_MS, Studio

__all__ = [
    "SandboxServer",
    "Studio",
    "build_studio",
    "Faults",
    "credentials",
    "RequestLog",
    "RequestRecord",
    "DEMO_MEMBER_ID",
    "DEMO_POOL_ID",
    "DEMO_ENDED_POOL_ID",
    "DEMO_EMAIL",
    "REF_NOW_MS",
]
