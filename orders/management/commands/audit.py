"""`manage.py audit`: check the venue's invariants on the live database."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from orders.audit import audit_run, audit_warnings


class Command(BaseCommand):
    help = ("Check every invariant of the books (cash and quantity conserved, cash = ledger, reservations = open "
            "orders, fills = trades, ...). Prints each violation and exits 1 if there is any, else prints 'audit ok'.")

    def add_arguments(self, parser):
        parser.add_argument("--strict", action="store_true",
                            help="Also count orders stuck in 'accepted' (not yet in the engine) as violations.")
        parser.add_argument("--stale-minutes", type=float, default=5.0,
                            help="How long an order may stay 'accepted' before it is reported (default 5).")

    def handle(self, *args, strict: bool, stale_minutes: float, **options):
        if stale_minutes <= 0:
            raise CommandError("--stale-minutes must be positive.")
        stale_after = timedelta(minutes=stale_minutes)
        violations = audit_run(strict=strict, stale_after=stale_after)
        if not strict:
            for warning in audit_warnings(stale_after=stale_after):
                self.stderr.write(f"warning: {warning}")
        for violation in violations:
            self.stdout.write(violation)
        if violations:
            # CommandError prints to stderr and makes manage.py exit with status 1.
            raise CommandError(f"audit failed: {len(violations)} violation(s)")
        self.stdout.write("audit ok")
