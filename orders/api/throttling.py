"""Per-user request rate (per client address when anonymous), from settings.API_THROTTLE_RATE.

The rate is read on every request rather than frozen at import, so deployments and tests
can change it. A throttled request gets 429 with Retry-After.
"""

from django.conf import settings
from rest_framework.throttling import UserRateThrottle


class ApiRateThrottle(UserRateThrottle):
    scope = "api"

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATE
