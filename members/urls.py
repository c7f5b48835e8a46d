from django.urls import path

from . import adjust, attention, export, pool_views, threshold, views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("<uuid:member_id>/", views.member_detail, name="detail"),
    path("<uuid:member_id>/pools/<uuid:pool_id>/adjust/", adjust.adjust_credits, name="adjust"),
    path("<uuid:member_id>/pools/<uuid:pool_id>/explain/", pool_views.explain_balance, name="explain"),
    path("export.csv", export.export_members, name="export"),
    path("attention/<slug:category>/", attention.attention_list, name="attention"),
    path("low-credit-threshold/", threshold.set_threshold, name="threshold"),
]
