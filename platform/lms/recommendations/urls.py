from django.urls import path

from . import apis, views

urlpatterns = [
    path("next/<str:recommendation>/follow/<slug:activity>", views.follow, name="next-follow"),
    path("next/<str:recommendation>/choose", views.choose_myself, name="next-choose"),
    path("preferences/personalization", views.personalization, name="personalization"),
    path("api/v1/me/next-steps", apis.NextStepsApi.as_view(), name="api-next-steps"),
]
