from django.urls import path

from . import attention, export, pool_views, views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("<uuid:member_id>/", views.member_detail, name="detail"),
    path("<uuid:member_id>/pools/<uuid:pool_id>/explain/", pool_views.explain_balance, name="explain"),
    path("export.csv", export.export_members, name="export"),
    path("attention/<slug:category>/", attention.attention_list, name="attention"),
]
