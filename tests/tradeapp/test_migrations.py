"""The models and their migrations agree, so a deployment's `migrate` builds what the code uses."""

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_its_migration():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:  # makemigrations --check exits 1 when one is missing
        pytest.fail(f"a migration is missing (exit {exit_.code}):\n{out.getvalue()}")
