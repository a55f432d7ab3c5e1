"""Per-user request rate (per client address when anonymous), from settings.API_THROTTLE_RATE.

The rate is read on every request rather than frozen at import, so deployments and tests
can change it. A throttled request gets 429 with Retry-After.

"N/period" is enforced as a generic cell rate algorithm (GCRA) in Redis: a client may send a burst
of N requests, then one more every period/N. Each check is one Lua script on one key holding one
number (the "theoretical arrival time"), so it costs the same at 6,000/min as at 3/min. DRF's own
throttle keeps every request's timestamp of the last period in one cached list that it reads,
rewrites and pickles on each request; at the venue's rates that list cost milliseconds per request.
"""

import time

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework.throttling import UserRateThrottle

from common.logging import get_logger
from common.outages import outage_logged
from common.redis import get_redis

log = get_logger(__name__)

# KEYS[1]: the client's key. ARGV: now, emission interval (period / N), burst tolerance (period - interval).
# Returns "0" when allowed (and records it), else the seconds to wait, as text (Lua numbers would truncate).
GCRA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if tat < now then tat = now end
if tat - now > tolerance then
  return tostring(tat - now - tolerance)
end
local next_tat = tat + interval
redis.call('SET', KEYS[1], tostring(next_tat), 'PX', math.ceil((next_tat - now) * 1000) + 1)
return '0'
"""
_script = None


def _gcra():
    global _script
    client = get_redis()
    if _script is None or _script.registered_client is not client:
        _script = client.register_script(GCRA)
    return _script


class ApiRateThrottle(UserRateThrottle):
    scope = "api"
    cache_format = "throttle:%(scope)s:%(ident)s"

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATE

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        interval = self.duration / self.num_requests
        try:
            self._wait = float(_gcra()(keys=[self.key], args=[repr(time.time()), repr(interval),
                                                              repr(self.duration - interval)]))
        except RedisError as error:
            # The limit protects the venue; an unreachable Redis must not turn every request away.
            if not outage_logged(log, error, what="rate limit not checked"):
                log.warning("rate limit not checked: Redis unavailable", exc_info=True)
            return True
        return self._wait <= 0

    def wait(self) -> float:
        return self._wait


# As GCRA, for ARGV[4] requests at once: takes as many as the limit allows, in order. Returns
# {taken, wait} (wait as text: the seconds until the next one would be allowed, "0" if all were).
GCRA_MANY = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local wanted = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if tat < now then tat = now end
local taken = 0
while taken < wanted and tat - now <= tolerance do
  tat = tat + interval
  taken = taken + 1
end
if taken > 0 then
  redis.call('SET', KEYS[1], tostring(tat), 'PX', math.ceil((tat - now) * 1000) + 1)
end
local wait = 0
if taken < wanted then wait = tat - now - tolerance end
return {taken, tostring(wait)}
"""
_many_script = None


def api_rate_take(*, user_id: int, count: int = 1) -> tuple[int, float]:
    """(requests allowed, seconds to wait for the next) of `count` requests of a user, against the
    same limit and the same key as its REST requests (ApiRateThrottle): the WebSocket's order
    entry spends the user's one budget. Without Redis every request is allowed, as on REST."""
    global _many_script
    throttle = ApiRateThrottle()
    if throttle.rate is None:
        return count, 0.0
    key = throttle.cache_format % {"scope": throttle.scope, "ident": user_id}
    interval = throttle.duration / throttle.num_requests
    client = get_redis()
    try:
        if _many_script is None or _many_script.registered_client is not client:
            _many_script = client.register_script(GCRA_MANY)
        taken, wait = _many_script(keys=[key], args=[repr(time.time()), repr(interval),
                                                    repr(throttle.duration - interval), count])
    except RedisError:
        log.warning("rate limit not checked: Redis unavailable", exc_info=True)
        return count, 0.0
    return int(taken), float(wait)
