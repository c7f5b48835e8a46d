from django.urls import path

from . import adjust, attention, brevo, drift, export, pool_views, reasons, threshold, undo, views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("<uuid:member_id>/", views.member_detail, name="detail"),
    path("<uuid:member_id>/transactions/", views.member_transactions, name="transactions"),
    path("<uuid:member_id>/pools/<uuid:pool_id>/adjust/", adjust.adjust_credits, name="adjust"),
    path("<uuid:member_id>/pools/<uuid:pool_id>/explain/", pool_views.explain_balance, name="explain"),
    path("export.csv", export.export_members, name="export"),
    path("attention/bookings-and-credits/", drift.drift_list, name="drift"),
    path("attention/bookings-and-credits/<uuid:member_id>/", drift.drift_member, name="drift_member"),
    path("attention/<slug:category>/", attention.attention_list, name="attention"),
    path("attention/<slug:category>/export.csv", attention.attention_export, name="attention_export"),
    path("low-credit-threshold/", threshold.set_threshold, name="threshold"),
    path("quick-reasons/", reasons.set_quick_reasons, name="quick_reasons"),
]
home = path("", attention.home, name="home")
# Mounted into the "brevo" and "audit" namespaces beside the owner's pages (config/urls.py).
brevo_urls = [path("members/<uuid:member_id>/", brevo.member_panel, name="member")]
audit_urls = [path("<int:entry_id>/undo/", undo.undo_change, name="undo")]
