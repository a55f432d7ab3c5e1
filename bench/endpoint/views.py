"""POST /bench/bare/: a bare authenticated DRF endpoint that stores one row: the ceiling the order endpoint is
compared against in bench/orders_e2e.py."""

from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.endpoint.models import BenchmarkRow


class BareInput(serializers.Serializer):
    symbol = serializers.CharField(max_length=16)
    qty = serializers.DecimalField(max_digits=20, decimal_places=8)


class BareRowView(APIView):
    def post(self, request):
        data = BareInput(data=request.data)
        data.is_valid(raise_exception=True)
        row = BenchmarkRow.objects.create(payload={"symbol": data.validated_data["symbol"], "qty": str(data.validated_data["qty"])})
        return Response({"id": row.pk}, status=201)
