"""The dashboards' read side, one module per page: each builds its page's figures from
the rollups (and the catalog), never from ``tracking_event``. Every chart is a
``Chart`` whose rows are also its CSV.

- ``index``: the list of courses (and how current the rollups are);
- ``overview``: enrollment and activity over time, the funnel by week;
- ``videos`` and ``video``: share watched per video; one video's coverage, drop-off,
  rewatched passages and speeds;
- ``quizzes`` and ``quiz``: first attempts per quiz with the item analysis
  (``item_analysis``); one quiz's scores and options;
- ``labs`` and ``lab``: pass rate per lab; one lab's tests, failures, attempts and time
  to pass;
- ``at_risk``: the learners at risk (``analytics.risk`` writes them);
- ``recommendations``: next steps shown, followed and completed, by policy.

``common`` holds what they share (colours, time formatting, activities in syllabus
order); the statistics are in ``analytics.stats``.
"""
