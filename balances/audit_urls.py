from django.urls import path

from . import audit_views

app_name = "audit"
urlpatterns = [
    path("", audit_views.audit_log, name="list"),
    path("export.csv", audit_views.audit_export, name="export"),
    path("<int:entry_id>/undo/", audit_views.undo_change, name="undo"),
    path("<int:entry_id>/resolve/", audit_views.resolve_change, name="resolve"),
]
