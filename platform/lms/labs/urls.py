from django.urls import path

from . import apis

urlpatterns = [
    path("api/labs/<slug:activity>/submissions", apis.submission_create_api, name="lab-submissions"),
    path("api/labs/<slug:activity>/notebook", apis.NotebookUploadApi.as_view(), name="lab-notebook-upload"),
    path("api/submissions/<uuid:submission_id>", apis.submission_detail, name="submission-detail"),
]
