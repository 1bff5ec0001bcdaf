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


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    slug = factory.Sequence(lambda n: f"course-{n}")
    number = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Course {n}")


class WeekFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Week

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"week-{n}")
    position = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Week {n}")


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    week = factory.SubFactory(WeekFactory)
    course = factory.SelfAttribute("week.course")
    slug = factory.Sequence(lambda n: f"activity-{n}")
    position = factory.Sequence(lambda n: n)
    kind = Activity.Kind.VIDEO
    title = factory.Sequence(lambda n: f"Activity {n}")
    minutes = 5
    duration_seconds = 300


def analyst_user(*, identity: bool = False, **kwargs) -> User:
    """A user in the "Analysts" group, not staff; ``identity`` also grants them
    ``accounts.view_learner_identity``."""
    from lms.accounts.services import analyst_grant

    user = UserFactory(**kwargs)
    analyst_grant(user=user, identity=identity)
    return user
