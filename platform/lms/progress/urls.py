from django.urls import path

from . import views

urlpatterns = [
    # any text: a mistyped code gets the site's "not found" page, not a URL-resolver error
    path("certificates/<str:code>/", views.certificate, name="certificate"),
]
