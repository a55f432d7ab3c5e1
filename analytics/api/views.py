"""REST of the analytics and alerts (API.md): a symbol's figures (public), my alerts (CRUD) and
my alerts' firings. Views parse, authorize, call a service or selector and shape the answer."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.api.serializers import (
    AlertChangeSerializer,
    AlertRequestSerializer,
    AlertSerializer,
    AlertTriggerSerializer,
    AnalyticsMinuteSerializer,
)
from analytics.models import Alert
from analytics.selectors import alert_list, alert_trigger_list, analytics_history, analytics_latest
from analytics.services import alert_create, alert_delete, alert_update
from analytics.services.alerts import alert_get
from common.errors import not_found
from common.symbols import is_symbol
from marketdata.selectors import instrument_get
from orders.api.filters import parse_query
from orders.api.views.common import current_account

BAD = OpenApiResponse(description="Invalid input: {field: [message]}.")
NOT_FOUND = OpenApiResponse(description="No such alert of mine: {detail}.")
ALERT_ID = OpenApiParameter("alert_id", str, OpenApiParameter.PATH)


class HistoryParams(serializers.Serializer):
    limit = serializers.IntegerField(required=False, default=120, min_value=1, max_value=1440,
                                     help_text="Most recent minutes, 1 to 1440 (returned oldest first).")


class AlertListParams(serializers.Serializer):
    status = serializers.ChoiceField(choices=Alert.Status.choices, required=False)


class TriggerListParams(serializers.Serializer):
    alert_id = serializers.IntegerField(required=False, min_value=1)


class AnalyticsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(operation_id="marketdata_analytics", tags=["market data"], parameters=[
        OpenApiParameter("symbol", str, OpenApiParameter.PATH), HistoryParams],
        summary="A symbol's streaming analytics: latest figures and minute history",
        responses={200: OpenApiResponse(description="{symbol, latest, history: [...]}"), 400: BAD,
                   404: OpenApiResponse(description="Unknown symbol.")})
    def get(self, request, symbol: str):
        instrument = instrument_get(symbol=symbol) if is_symbol(symbol) else None
        if instrument is None:
            raise not_found(f"Symbol {symbol[:40]!r}")
        limit = parse_query(HistoryParams, request)["limit"]
        history = analytics_history(instrument=instrument, limit=limit)
        return Response({"symbol": instrument.symbol, "latest": analytics_latest(symbol=instrument.symbol),
                         "history": AnalyticsMinuteSerializer(history, many=True).data})


class AlertListView(GenericAPIView):
    serializer_class = AlertSerializer

    @extend_schema(operation_id="alerts_list", parameters=[AlertListParams], responses=AlertSerializer(many=True),
                   tags=["alerts"], summary="My alerts, newest first")
    def get(self, request):
        query = parse_query(AlertListParams, request)
        page = self.paginate_queryset(alert_list(account=current_account(request), status=query.get("status")))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(operation_id="alerts_create", request=AlertRequestSerializer, tags=["alerts"],
                   summary="Create an alert", responses={201: AlertSerializer, 400: BAD})
    def post(self, request):
        body = AlertRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert = alert_create(account=current_account(request), **body.validated_data)
        return Response(AlertSerializer(alert).data, status=status.HTTP_201_CREATED)


class AlertDetailView(APIView):
    @extend_schema(operation_id="alerts_get", parameters=[ALERT_ID], tags=["alerts"], summary="One of my alerts",
                   responses={200: AlertSerializer, 404: NOT_FOUND})
    def get(self, request, alert_id: str):
        return Response(AlertSerializer(alert_get(account=current_account(request), alert_id=alert_id)).data)

    @extend_schema(operation_id="alerts_update", parameters=[ALERT_ID], request=AlertChangeSerializer,
                   tags=["alerts"], summary="Change an alert's threshold, window or email (re-arms it)",
                   responses={200: AlertSerializer, 400: BAD, 404: NOT_FOUND})
    def patch(self, request, alert_id: str):
        account = current_account(request)
        alert_get(account=account, alert_id=alert_id)  # 404 before 400
        body = AlertChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(AlertSerializer(alert_update(account=account, alert_id=alert_id, **body.validated_data)).data)

    @extend_schema(operation_id="alerts_delete", parameters=[ALERT_ID], tags=["alerts"], summary="Delete an alert",
                   responses={204: None, 404: NOT_FOUND})
    def delete(self, request, alert_id: str):
        alert_delete(account=current_account(request), alert_id=alert_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AlertTriggerListView(GenericAPIView):
    serializer_class = AlertTriggerSerializer

    @extend_schema(operation_id="alerts_triggers", parameters=[TriggerListParams],
                   responses=AlertTriggerSerializer(many=True), tags=["alerts"],
                   summary="My alerts that fired, newest first")
    def get(self, request):
        query = parse_query(TriggerListParams, request)
        triggers = alert_trigger_list(account=current_account(request), alert_id=query.get("alert_id"))
        page = self.paginate_queryset(triggers)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
