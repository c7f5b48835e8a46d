"""An emulator of the Brevo Loyalty (and contact lookup) endpoints Credit Desk reads. Stdlib only.

from sandbox.brevo import BrevoSandboxServer, build_loyalty, API_KEY, PROGRAM_ID
server = BrevoSandboxServer(build_loyalty([m["loginEmail"] for m in studio.members])).start()
Brevo(api_key=API_KEY, base_url=server.api_url)
"""

from .loyalty import CASH_ID, CREDITS_ID, DRAFT_ONLY_ID, PROGRAM_ID, Loyalty, build_loyalty
from .server import API_KEY, LOYALTY_LIMIT_PER_HOUR, BrevoFaults, BrevoSandboxServer

__all__ = [
    "API_KEY",
    "PROGRAM_ID",
    "CREDITS_ID",
    "CASH_ID",
    "DRAFT_ONLY_ID",
    "LOYALTY_LIMIT_PER_HOUR",
    "Loyalty",
    "build_loyalty",
    "BrevoFaults",
    "BrevoSandboxServer",
]
