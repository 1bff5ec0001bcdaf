"""The sections of a course's dashboards, in the order of the tabs.

Later dashboards (learners at risk, recommendation effectiveness, the analyst
workspace) add a section here: (key, label, URL name taking the course slug). Their
views extend ``analytics/course_base.html`` and pass ``section=<key>``.
"""

SECTIONS: list[tuple[str, str, str]] = [
    ("overview", "Overview", "analytics:overview"),
    ("videos", "Videos", "analytics:videos"),
    ("quizzes", "Quizzes", "analytics:quizzes"),
    ("labs", "Labs", "analytics:labs"),
    ("at-risk", "Learners at risk", "analytics:at-risk"),
    ("recommendations", "Recommendations", "analytics:recommendations"),
]

# Pages for staff (analysts) only, not tied to a course: (key, label, URL name).
STAFF_PAGES: list[tuple[str, str, str]] = [
    ("exports", "Exports", "analytics:exports"),
]
