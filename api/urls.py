"""Endpoints for machines: no session, no login page — a bearer token (the API) or nothing (the probe)."""

from django.urls import path

from . import health, views

urlpatterns = [
    path("api/v1/credits", views.credits_lookup, name="api_credits"),
    path("healthz", health.healthz, name="healthz"),
]
