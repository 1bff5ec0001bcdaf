from django.urls import path

from . import views

urlpatterns = [
    path("favicon.ico", views.favicon, name="favicon"),
    path("api/docs/", views.api_docs, name="api-docs"),
]
