"""factory-boy factories shared by the suite."""

import factory

from lms.accounts.models import User
from lms.courses.models import Activity, Course, Week


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"learner{n}")
    password = factory.django.Password("correct horse battery staple")


def _named(of: type, noun: str) -> type[factory.django.DjangoModelFactory]:
    """A base factory for the model ``of`` whose rows are named ``<noun>-<n>`` (slug) and
    ``<Noun> <n>`` (title), n the row's sequence number."""

    class Named(factory.django.DjangoModelFactory):
        class Meta:
            model = of

        slug = factory.Sequence(lambda n: f"{noun}-{n}")
        title = factory.Sequence(lambda n: f"{noun.title()} {n}")

    return Named


class CourseFactory(_named(Course, "course")):
    number = factory.Sequence(lambda n: n)


class WeekFactory(_named(Week, "week")):
    course = factory.SubFactory(CourseFactory)
    position = factory.Sequence(lambda n: n)


class ActivityFactory(_named(Activity, "activity")):
    week = factory.SubFactory(WeekFactory)
    course = factory.SelfAttribute("week.course")
    position = factory.Sequence(lambda n: n)
    kind = Activity.Kind.VIDEO
    minutes = 5
    duration_seconds = 300


def analyst_user(*, identity: bool = False, **kwargs) -> User:
    """A user in the "Analysts" group, not staff; ``identity`` also grants them
    ``accounts.view_learner_identity``."""
    from lms.accounts.services import analyst_grant

    user = UserFactory(**kwargs)
    analyst_grant(user=user, identity=identity)
    return user
