"""POST orders/batch/: up to 100 orders, each placed on its own, results in request order."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api.errors import service_error_answer
from orders.api.inputs import BatchRequestSerializer, OrderRequestSerializer
from orders.api.serializers import BatchResponseSerializer, OrderSerializer
from orders.api.views.common import current_account
from orders.models import Account
from orders.services import ServiceError, order_place


def place_one(*, account: Account, body) -> dict:
    """One batch item: {status, order?, errors?} with the status a single POST would get."""
    parsed = OrderRequestSerializer(data=body)
    if not parsed.is_valid():
        return {"status": status.HTTP_400_BAD_REQUEST, "errors": parsed.errors}
    try:
        order, created = order_place(account=account, **parsed.validated_data)
    except ServiceError as exc:
        code, errors = service_error_answer(exc)
        result = {"status": code, "errors": errors}
        if getattr(exc, "order", None) is not None:
            result["order"] = OrderSerializer(exc.order).data
        return result
    return {"status": status.HTTP_201_CREATED if created else status.HTTP_200_OK, "order": OrderSerializer(order).data}


class OrderBatchView(APIView):
    @extend_schema(
        operation_id="orders_batch_create", request=BatchRequestSerializer, tags=["orders"],
        summary="Place up to 100 orders; each stands alone",
        description="Each result has the status a single POST orders/ would get: 201 placed, 200 already placed "
                    "with that client_order_id, 400 invalid (errors {field: [message]}), 422 refused (errors "
                    "{code, detail}, and the stored rejected order).",
        responses={200: BatchResponseSerializer,
                   400: OpenApiResponse(description="The body is not {\"orders\": [1 to 100 items]}.")})
    def post(self, request):
        batch = BatchRequestSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        account = current_account(request)
        results = [place_one(account=account, body=body) for body in batch.validated_data["orders"]]
        return Response({"results": results})
