"""POST orders/batch/: up to 100 orders, each placed on its own, results in request order."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api.errors import service_error_answer
from orders.api.inputs import BatchRequestSerializer, parse_order
from orders.api.serializers import BatchResponseSerializer, order_json
from orders.api.views.common import placing_account
from orders.services import order_place_many


def batch_result(order, created: bool, error) -> dict:
    """One batch item: {status, order?, errors?} with the status a single POST would get."""
    if error is not None:
        code, errors = service_error_answer(error)
        result = {"status": code, "errors": errors}
        if order is not None:
            result["order"] = order_json(order)
        return result
    return {"status": status.HTTP_201_CREATED if created else status.HTTP_200_OK, "order": order_json(order)}


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
        results: list[dict | None] = []
        valid: list[tuple[int, dict]] = []
        for body in batch.validated_data["orders"]:
            data, errors = parse_order(body)
            results.append({"status": status.HTTP_400_BAD_REQUEST, "errors": errors} if errors else None)
            if data is not None:
                valid.append((len(results) - 1, data))
        if valid:
            placed = order_place_many(account=placing_account(request), orders=[data for _, data in valid])
            for (index, _), outcome in zip(valid, placed, strict=True):
                results[index] = batch_result(*outcome)
        return Response({"results": results})
