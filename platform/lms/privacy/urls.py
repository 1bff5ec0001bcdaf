from django.urls import path

from . import views

urlpatterns = [
    path("me/data/", views.my_data, name="my-data"),
    path("me/data/<uuid:request_id>/status", views.my_data_status, name="my-data-status"),
    path("me/data/<uuid:request_id>/download", views.my_data_download, name="my-data-download"),
]
