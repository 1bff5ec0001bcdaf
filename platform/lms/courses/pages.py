"""The activity page's registries: ``courses`` owns the activity URL and opens the
activity; the app that owns each kind renders its page, and the apps that must know a
learner opened an activity are told. Each app registers in its ``AppConfig.ready()``
(as the privacy erasers are, ``lms.privacy.hooks``), so ``courses`` imports none of them::

    from lms.courses.pages import activity_page_register
    activity_page_register(Activity.Kind.LAB, lab_page)

A page is ``view(request, activity) -> HttpResponse``; the activity is published and
the request already carries what every page's header and navigation read
(``request.cairn_enrollment``, ``request.cairn_missing``, ``request.cairn_nav``). An
opener is ``opener(request, activity) -> None`` and runs before the page, in the order
the apps are installed: ``lms.progress`` records the opening and names the unmet
prerequisites, ``lms.recommendations`` adds the recommended step to the navigation.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

ActivityPage = Callable[[HttpRequest, object], HttpResponse]
ActivityOpener = Callable[[HttpRequest, object], None]

_pages: dict[str, ActivityPage] = {}
_openers: dict[str, ActivityOpener] = {}


def activity_page_register(kind: str, page: ActivityPage) -> None:
    """``page`` renders every activity of ``kind`` (one page per kind: the last wins)."""
    _pages[kind] = page


def activity_page(kind: str) -> ActivityPage | None:
    return _pages.get(kind)


def activity_opener_register(name: str, opener: ActivityOpener) -> None:
    """``opener`` runs whenever a signed-in user opens an activity page (by name: a second
    registration under the same name replaces the first)."""
    _openers[name] = opener


def activity_openers() -> list[ActivityOpener]:
    return list(_openers.values())
