from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("", views.index, name="index"),
    path("exports/", views.exports, name="exports"),  # staff only; before the course slugs
    path("exports/<int:job>/download/", views.export_download, name="export-download"),
    path("<slug:course>/", views.overview, name="overview"),
    path("<slug:course>/videos/", views.videos, name="videos"),
    path("<slug:course>/videos/<slug:activity>/", views.video, name="video"),
    path("<slug:course>/quizzes/", views.quizzes, name="quizzes"),
    path("<slug:course>/quizzes/<slug:activity>/", views.quiz, name="quiz"),
    path("<slug:course>/labs/", views.labs, name="labs"),
    path("<slug:course>/labs/<slug:activity>/", views.lab, name="lab"),
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
