"""Seed a development site: demo accounts (and, as they exist, demo content and data).

Idempotent: running it again keeps what is there. Refuses to run in production.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lms.accounts.services import demo_users_ensure


class Command(BaseCommand):
    help = "Create the demo student, instructor and analyst accounts (development only)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates accounts with published passwords: not in production")
        users = demo_users_ensure()
        self.stdout.write("Demo logins (development only):")
        for role, (username, password) in users.items():
            self.stdout.write(f"  {role:<10} {username} / {password}")
