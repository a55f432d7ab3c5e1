"""GET account/ and GET positions/: the caller's balances and holdings."""

from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api.serializers import AccountRiskSerializer, AccountSerializer, PositionSerializer
from orders.api.views.common import current_account
from orders.risk_selectors import account_risk
from orders.selectors import account_summary, position_list


class AccountView(APIView):
    @extend_schema(operation_id="account_retrieve", responses=AccountSerializer, tags=["account"],
                   summary="My balances and P&L")
    def get(self, request):
        return Response(AccountSerializer(account_summary(account=current_account(request))).data)


class PositionListView(GenericAPIView):
    serializer_class = PositionSerializer

    @extend_schema(operation_id="positions_list", responses=PositionSerializer(many=True), tags=["account"],
                   summary="My open positions, valued at the mark price")
    def get(self, request):
        positions = position_list(account=current_account(request))
        page = self.paginate_queryset(positions)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class AccountRiskView(APIView):
    @extend_schema(operation_id="account_risk_retrieve", responses=AccountRiskSerializer, tags=["account"],
                   summary="My live risk: exposure, open-order notional, P&L marked to the current price, limits")
    def get(self, request):
        return Response(AccountRiskSerializer(account_risk(account=current_account(request))).data)
