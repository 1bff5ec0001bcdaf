from django.urls import include, path

from . import apis, ope_views, staff_views, views

# What staff do with one model version of the registry: /staff/models/<number>/...
_model_version = [
    path("activate", staff_views.activate, name="model-activate"),
    path("ope", ope_views.ope_estimate, name="model-ope"),
    path("<str:name>.png", staff_views.plot, name="model-plot"),
]

urlpatterns = [
    path("next/<str:recommendation>/follow/<slug:activity>", views.follow, name="next-follow"),
    path("next/<str:recommendation>/choose", views.choose_myself, name="next-choose"),
    path("preferences/personalization", views.personalization, name="personalization"),
    path("api/v1/me/next-steps", apis.NextStepsApi.as_view(), name="api-next-steps"),
    path("staff/models/", staff_views.registry, name="model-registry"),
    path("staff/experiments/", staff_views.experiments, name="policy-experiments"),
    path("staff/models/retrain", staff_views.retrain, name="model-retrain"),
    path("staff/models/<int:number>/", include(_model_version)),
]
