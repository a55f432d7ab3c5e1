"""GET trades/: my fills, newest first."""

from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView

from orders.api.filters import TradeListFilter, parse_query
from orders.api.serializers import FillSerializer
from orders.api.views.common import current_account
from orders.selectors import trade_list


class TradeListView(GenericAPIView):
    serializer_class = FillSerializer

    @extend_schema(operation_id="trades_list", parameters=[TradeListFilter], responses=FillSerializer(many=True),
                   tags=["orders"], summary="My fills, newest first")
    def get(self, request):
        query = parse_query(TradeListFilter, request)
        fills = trade_list(account=current_account(request), symbol=query.get("symbol"),
                           order_id=query.get("order_id"))
        page = self.paginate_queryset(fills)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
