from django.urls import path

from . import views

app_name = "analytics"


def _section(section: str, index, name: str, detail) -> list:
    """A section's page (``section``) and the page of each of its activities (``name``)."""
    return [
        path(f"<slug:course>/{section}/", index, name=section),
        path(f"<slug:course>/{section}/<slug:activity>/", detail, name=name),
    ]


urlpatterns = [
    path("", views.index, name="index"),
    path("exports/", views.exports, name="exports"),  # staff only; before the course slugs
    path("exports/<int:job>/download/", views.export_download, name="export-download"),
    path("<slug:course>/", views.overview, name="overview"),
    *_section("videos", views.videos, "video", views.video),
    *_section("quizzes", views.quizzes, "quiz", views.quiz),
    *_section("labs", views.labs, "lab", views.lab),
    path("<slug:course>/at-risk/", views.at_risk, name="at-risk"),
    path("<slug:course>/at-risk/action/", views.at_risk_action, name="at-risk-action"),
    path("<slug:course>/recommendations/", views.recommendations, name="recommendations"),
    # "Download CSV" of one chart: exactly the rows the chart draws.
    path("<slug:course>/csv/<slug:page>/<slug:chart>.csv", views.course_csv, name="course-csv"),
    path(
        "<slug:course>/<slug:section>/<slug:activity>/csv/<slug:chart>.csv",
        views.activity_csv,
        name="activity-csv",
    ),
]
