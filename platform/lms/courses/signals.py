"""What ``lms.courses`` tells the apps built on it, which it never imports: they connect
in their ``AppConfig.ready()`` (as they register activity pages, ``pages.py``). Both are
sent inside the change's transaction, so a receiver's writes commit or roll back with it,
and a receiver's error fails the change.

- ``course_imported(course=...)``: a course was imported from its folder (created or
  updated); ``lms.search`` indexes its titles and transcripts as imported.
- ``enrollment_changed(learner_id=, verb=, course=, payload=)``: an enrollment was
  activated, changed track or moved session; ``lms.tracking`` records it as the server
  event ``verb`` (docs/events.md).
"""

from django.dispatch import Signal

course_imported = Signal()
enrollment_changed = Signal()
