from django.urls import path

from . import views

app_name = "wix"
urlpatterns = [
    path("", views.connection_settings, name="settings"),
    path("save/", views.save_connection, name="save"),
    path("confirm-password/", views.confirm_password, name="confirm_password"),
    path("forget/", views.forget_connection, name="forget"),
    path("test/", views.test_connection, name="test"),
]
