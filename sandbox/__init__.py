"""Credit Desk's Wix sandbox: an emulator of the Wix REST endpoints the dashboard calls.

Standard library only (no Django, no project imports). Public interface::

    from sandbox import SandboxServer, Studio, build_studio, Faults, credentials
    studio = build_studio(members=300, seed=7)
    with SandboxServer(studio, host="127.0.0.1", port=0) as server:
        server.url, server.studio, server.faults, server.log

The wire contract is ``shared/wix-api.md``; accepted credentials are documented in
:mod:`sandbox.credentials`. Wix Bookings (services, class schedule, bookings, attendance) lives in
:mod:`sandbox.bookings`, installed by ``build_studio`` unless ``bookings=False``.
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
