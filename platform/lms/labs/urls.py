from django.urls import path

from . import apis, views

urlpatterns = [
    path("courses/<slug:course>/<slug:activity>/notebook.ipynb", views.lab_download, name="lab-download"),
    path("api/labs/<slug:activity>/submissions", apis.submission_create_api, name="lab-submissions"),
    path("api/labs/<slug:activity>/notebook", apis.notebook_upload_api, name="lab-notebook-upload"),
    path("api/submissions/<uuid:submission_id>", apis.submission_detail, name="submission-detail"),
]
