"""Orders: place, list, read, replace and cancel my orders."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import not_found
from common.symbols import CLIENT_ORDER_ID, CLIENT_ORDER_ID_CHARS
from orders.api.filters import OrderListFilter, SymbolFilter, parse_query
from orders.api.inputs import OrderReplaceSerializer, OrderRequestSerializer, parse_order
from orders.api.serializers import CancelAllSerializer, OrderSerializer, order_json
from orders.api.views.common import current_account, order_id_from_path, placing_account
from orders.selectors import order_get, order_get_by_client_id, order_list
from orders.services import order_cancel, order_cancel_all, order_place, order_replace

TAGS = ["orders"]
REFUSAL = inline_serializer("Refusal", {"code": serializers.CharField(), "detail": serializers.CharField()})
CONFLICT = inline_serializer("Conflict", {"code": serializers.CharField(), "detail": serializers.CharField(),
                                          "order_id": serializers.IntegerField()})
FIELD_ERRORS = OpenApiResponse(description="Invalid input: {field: [message]}, or {detail} for a malformed body.")
NOT_FOUND = OpenApiResponse(description="No such order of mine: {detail}.")
ORDER_ID = OpenApiParameter("order_id", int, OpenApiParameter.PATH, description="The order id.")


class OrderListView(GenericAPIView):
    serializer_class = OrderSerializer

    @extend_schema(operation_id="orders_list", parameters=[OrderListFilter], responses=OrderSerializer(many=True),
                   tags=TAGS, summary="My orders, newest first")
    def get(self, request):
        query = parse_query(OrderListFilter, request)
        orders = order_list(account=current_account(request), status=query["status"], symbol=query.get("symbol"))
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        operation_id="orders_create", request=OrderRequestSerializer, tags=TAGS, summary="Place an order",
        responses={201: OrderSerializer, 200: OpenApiResponse(OrderSerializer, "The order already placed with "
                                                                                 "this client_order_id."),
                   400: FIELD_ERRORS, 422: OpenApiResponse(REFUSAL, "Refused by risk; stored as rejected."),
                   409: OpenApiResponse(CONFLICT, "The client_order_id is already used by a different order.")})
    def post(self, request):
        body, errors = parse_order(request.data)
        if errors:
            raise serializers.ValidationError(errors)
        order, created = order_place(account=placing_account(request), **body)
        return Response(order_json(order), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(operation_id="orders_cancel_all", parameters=[SymbolFilter], request=None, tags=TAGS,
                   summary="Cancel all my open orders", responses={202: CancelAllSerializer, 400: FIELD_ERRORS})
    def delete(self, request):
        query = parse_query(SymbolFilter, request)
        canceled = order_cancel_all(account=current_account(request), symbol=query.get("symbol"))
        return Response({"canceled": canceled}, status=status.HTTP_202_ACCEPTED)


class OrderDetailView(APIView):
    @extend_schema(operation_id="orders_retrieve", parameters=[ORDER_ID], tags=TAGS, summary="One of my orders",
                   responses={200: OrderSerializer, 404: NOT_FOUND})
    def get(self, request, order_id: str):
        order = order_get(account=current_account(request), order_id=order_id_from_path(order_id))
        if order is None:
            raise not_found()
        return Response(OrderSerializer(order).data)

    @extend_schema(operation_id="orders_replace", parameters=[ORDER_ID], request=OrderReplaceSerializer, tags=TAGS,
                   summary="Replace qty and/or limit price; the engine confirms with an order update",
                   responses={202: OrderSerializer, 400: FIELD_ERRORS, 404: NOT_FOUND, 422: REFUSAL})
    def patch(self, request, order_id: str):
        order_id = order_id_from_path(order_id)
        body = OrderReplaceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = order_replace(account=current_account(request), order_id=order_id, **body.validated_data)
        return Response(OrderSerializer(order).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(operation_id="orders_cancel", parameters=[ORDER_ID], request=None, tags=TAGS,
                   summary="Cancel; pending_cancel until the engine confirms",
                   responses={202: OrderSerializer, 404: NOT_FOUND, 422: REFUSAL})
    def delete(self, request, order_id: str):
        order = order_cancel(account=current_account(request), order_id=order_id_from_path(order_id))
        return Response(OrderSerializer(order).data, status=status.HTTP_202_ACCEPTED)


class OrderByClientIdView(APIView):
    @extend_schema(operation_id="orders_retrieve_by_client_id", tags=TAGS, summary="One of my orders by my id for it",
                   parameters=[OpenApiParameter("client_order_id", str, OpenApiParameter.PATH,
                                                pattern=f"^{CLIENT_ORDER_ID_CHARS}$")],
                   responses={200: OrderSerializer, 404: NOT_FOUND})
    def get(self, request, client_order_id: str):
        if not CLIENT_ORDER_ID.fullmatch(client_order_id):
            raise not_found()
        order = order_get_by_client_id(account=current_account(request), client_order_id=client_order_id)
        if order is None:
            raise not_found()
        return Response(OrderSerializer(order).data)
