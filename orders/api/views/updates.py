"""GET orders/updates/?since=<seq>: my private stream's messages after a seq, as the WebSocket's
`orders` channel sends them (docs/API.md, "Private stream")."""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import invalid
from common.jsontext import loads
from orders.api.views.common import current_account
from orders.private import private_events_after
from orders.private.selectors import MAX_LIMIT

DIGITS = re.compile(r"[0-9]{1,19}")
MAX_SEQ = 2**63 - 1


def _integer(request, name: str, *, default: int | None, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        if default is None:
            raise invalid(name, "Required: the seq of the last private message you have (0 for all kept).")
        return default
    if not DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise invalid(name, f"An integer from {low} to {high}.")
    return int(raw)


class OrderUpdatesView(APIView):
    @extend_schema(
        operation_id="orders_updates", tags=["orders"], summary="My private stream's messages after a seq",
        parameters=[OpenApiParameter("since", OpenApiTypes.INT, required=True,
                                     description="The seq of the last private message you have; 0 for all kept."),
                    OpenApiParameter("limit", OpenApiTypes.INT, description=f"At most this many (1-{MAX_LIMIT}, "
                                                                             f"default {MAX_LIMIT}).")],
        responses=inline_serializer("OrderUpdates", {
            "since": serializers.IntegerField(), "next_since": serializers.IntegerField(),
            "last_seq": serializers.IntegerField(), "more": serializers.BooleanField(),
            "messages": serializers.ListField(child=serializers.DictField())}))
    def get(self, request):
        since = _integer(request, "since", default=None, low=0, high=MAX_SEQ)
        limit = _integer(request, "limit", default=MAX_LIMIT, low=1, high=MAX_LIMIT)
        page = private_events_after(account_id=current_account(request).pk, since=since, limit=limit)
        return Response({"since": page.since, "next_since": page.next_since, "last_seq": page.last_seq,
                         "more": page.more, "messages": [loads(text) for text in page.texts]})
