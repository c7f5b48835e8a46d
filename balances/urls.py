from django.urls import path

from . import api, token_views

urlpatterns = [
    path("api/v1/credits", api.credits_lookup, name="api_credits"),
    path("api-tokens/", token_views.api_tokens, name="api_tokens"),
    path("api-tokens/<int:token_id>/revoke/", token_views.revoke_token, name="api_token_revoke"),
]
