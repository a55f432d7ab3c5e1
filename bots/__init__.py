"""Trading bots (`manage.py run_bots`): market makers and noise takers that trade through the
same order services as users, each with its own account. See docs/feeds_and_bots.md."""
