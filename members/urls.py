from django.urls import path

from . import adjust, views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("<uuid:member_id>/", views.member_detail, name="detail"),
    path("<uuid:member_id>/pools/<uuid:pool_id>/adjust/", adjust.adjust_credits, name="adjust"),
]
