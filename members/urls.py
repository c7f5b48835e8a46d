from django.urls import path

from . import attention, views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("<uuid:member_id>/", views.member_detail, name="detail"),
    path("attention/<slug:category>/", attention.attention_list, name="attention"),
]
