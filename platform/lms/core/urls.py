from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("api/docs/", views.api_docs, name="api-docs"),
    path("healthz/ready", views.healthz_ready, name="healthz_ready"),
]
