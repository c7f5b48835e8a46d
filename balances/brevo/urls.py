from django.urls import path

from . import views

app_name = "brevo"
urlpatterns = [
    path("settings/", views.brevo_settings, name="settings"),
    path("settings/confirm-password/", views.confirm_password, name="confirm_password"),
    path("members/<uuid:member_id>/", views.member_panel, name="member"),
]
