"""Demo data for `make run`. Idempotent: running it again changes nothing that exists."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

OPS = ("ops", "ops-demo-pass")
TRADERS = [("alice", "alice-demo-pass"), ("bob", "bob-demo-pass")]


class Command(BaseCommand):
    help = "Create the demo ops superuser and demo traders (idempotent) and print their logins."

    def handle(self, *args, **options):
        User = get_user_model()
        username, password = OPS
        if not User.objects.filter(username=username).exists():
            User.objects.create_superuser(username=username, password=password, email="")
        for username, password in TRADERS:
            if not User.objects.filter(username=username).exists():
                User.objects.create_user(username=username, password=password)
        self.stdout.write("Demo logins (change them before exposing this venue):")
        self.stdout.write(f"  ops (admin):  {OPS[0]} / {OPS[1]}")
        for username, password in TRADERS:
            self.stdout.write(f"  trader:       {username} / {password}")
