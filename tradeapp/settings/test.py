"""Tests: the dev settings with fast password hashing and no throttling surprises."""

from .dev import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
