from django.urls import path

from . import views

app_name = "ai"
urlpatterns = [path("", views.ai_credits_panel, name="credits")]
