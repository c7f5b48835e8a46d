"""Credentials the sandbox accepts (constants; they never change between runs).

These are fake, public test values. They only work against the sandbox, never against Wix.

=====================  ==========================================================================
Name                   Use
=====================  ==========================================================================
``API_KEY``            Site owner's API key. Send ``Authorization: <API_KEY>`` (raw, no ``Bearer``)
                       plus ``wix-site-id: <SITE_ID>``. Full scopes (read + BENEFIT_PROGRAMS.MANAGE).
``READONLY_API_KEY``   A valid key for the same site *without* ``SCOPE.BENEFIT_PROGRAMS.MANAGE``:
                       reads work, Change Balance / Revert answer 403 PERMISSION_DENIED.
``NO_AI_API_KEY``      A valid key for the same site made without the AI Credits permission: Benefit
                       Programs and Members work, AI credits answer 403 PERMISSION_DENIED.
``SITE_ID``            The site (metaSite) GUID for the ``wix-site-id`` header.
``ACCOUNT_ID``         The account GUID for ``wix-account-id`` (accepted by account-level AI credits).
``APP_ID``             OAuth ``client_id`` for ``POST /oauth2/token`` (client_credentials grant).
``APP_SECRET``         OAuth ``client_secret``.
``INSTANCE_ID``        OAuth ``instance_id`` (the app instance installed on ``SITE_ID``).
=====================  ==========================================================================

Auth rules (see :mod:`sandbox.auth`): a missing ``Authorization`` header or an unknown key/token
gives 401 UNAUTHENTICATED; a valid API key with a missing or wrong ``wix-site-id`` gives 403
PERMISSION_DENIED; ``Bearer <API key>`` gives 401 unless ``Faults.bearer_api_key``. OAuth tokens
(``OauthNG.JWS.…``) work as ``Authorization: <token>`` or ``Authorization: Bearer <token>``
with no site header, until they expire (``Faults.token_ttl``).
"""

API_KEY = (
    "IST.eyJraWQiOiJQb3pIX2FDMiIsImFsZyI6IlJTMjU2In0.eyJkYXRhIjoie1wiaWRcIjpcIjNhYjdjNWQ0LTZmMmEtNGQ"
    "xYi05ZTBjLTVhN2IzYzFkMmU4ZlwiLFwiaWRlbnRpdHlcIjp7XCJ0eXBlXCI6XCJhcHBsaWNhdGlvblwifX0iLCJpYXQiOjE3"
    "NjQwMDAwMDB9.sAnDbOxCr3d1tD3sKfAk3K3yN0tR3aLxQ9vW2mZ7pE4uY6hJ1gT8cB5nV0rL"
)
READONLY_API_KEY = (
    "IST.eyJraWQiOiJQb3pIX2FDMiIsImFsZyI6IlJTMjU2In0.eyJkYXRhIjoie1wiaWRcIjpcIjdlMWY0YTkwLWIyYzMtNGQ"
    "1ZS04ZjZhLTBiMWMyZDNlNGY1YVwiLFwicm9sZVwiOlwicmVhZG9ubHlcIn0iLCJpYXQiOjE3NjQwMDAwMDB9.r3AdOnLy"
    "K3yN0tM4n4g3S8aNdB0xQ2wE5rT7yU9iO1pA3sD5fG7hJ9kL"
)
NO_AI_API_KEY = (
    "IST.eyJraWQiOiJQb3pIX2FDMiIsImFsZyI6IlJTMjU2In0.eyJkYXRhIjoie1wiaWRcIjpcIjRjOWQyZTFmLTViNmEtNGM"
    "3ZC04ZTlmLTBhMWIyYzNkNGU1ZlwiLFwic2NvcGVcIjpcIm5vLWFpXCJ9In0.n0A1CrEd1tSkEy5cOpE7mQ2wR4tY6uI8oP0"
)
SITE_ID = "0d2c6e8a-4b1f-4c3d-9e7a-5f8b2a1c6d90"
ACCOUNT_ID = "9a4e7c21-3d5b-4f68-8a2e-c1b0d7f3e456"
APP_ID = "b3f1a2c4-5d6e-4f70-8a91-2b3c4d5e6f70"
APP_SECRET = "f0e1d2c3-b4a5-4968-8778-695a4b3c2d1e"
INSTANCE_ID = "6e5d4c3b-2a19-4087-b6a5-94837261f0ed"

#: Scopes granted to each credential kind (used for 403 on writes).
SCOPE_READ = "SCOPE.BENEFIT_PROGRAMS.READ"
SCOPE_MANAGE = "SCOPE.BENEFIT_PROGRAMS.MANAGE"
FULL_SCOPES = frozenset({SCOPE_READ, SCOPE_MANAGE, "SCOPE.DC-MEMBERS.READ-MEMBERS", "SCOPE.AI-CREDITS.READ"})
SCOPE_AI_CREDITS = "SCOPE.AI-CREDITS.READ"
READONLY_SCOPES = frozenset({SCOPE_READ, "SCOPE.DC-MEMBERS.READ-MEMBERS", "SCOPE.AI-CREDITS.READ"})
NO_AI_SCOPES = frozenset({SCOPE_READ, SCOPE_MANAGE, "SCOPE.DC-MEMBERS.READ-MEMBERS"})
