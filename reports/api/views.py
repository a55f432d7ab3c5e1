"""REST of the reports (docs/API.md): my statements (list, one, its CSV and PDF) and CSV exports
of my orders and fills over a date range. Only the caller's own: another account's statement is
404, like an unknown one."""

from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import not_found
from orders.api.serializers import DecimalStringField
from orders.api.views.common import current_account, order_id_from_path
from reports.exports import export_range, fills_csv, orders_csv
from reports.selectors import statement_get, statement_list


class StatementSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    day = serializers.DateField(read_only=True)
    opening_cash = DecimalStringField("cash")
    deposits = DecimalStringField("cash")
    withdrawals = DecimalStringField("cash")
    trades_cash = DecimalStringField("cash", help_text="Sales minus purchases.")
    fees = DecimalStringField("cash")
    closing_cash = DecimalStringField("cash")
    realized_pl = DecimalStringField("cash")
    trade_count = serializers.IntegerField(read_only=True)
    csv_url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    def get_csv_url(self, statement) -> str:
        return f"/api/v1/statements/{statement.pk}/csv/"

    def get_pdf_url(self, statement) -> str:
        return f"/api/v1/statements/{statement.pk}/pdf/"


def _own_statement(request, raw_id: str):
    statement = statement_get(account=current_account(request), statement_id=order_id_from_path(raw_id))
    if statement is None:
        raise not_found("Statement")
    return statement


class StatementListView(GenericAPIView):
    serializer_class = StatementSerializer

    @extend_schema(operation_id="statements_list", tags=["reports"], summary="My daily statements, newest first")
    def get(self, request):
        page = self.paginate_queryset(statement_list(account=current_account(request)))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class StatementDetailView(APIView):
    @extend_schema(operation_id="statements_retrieve", responses=StatementSerializer, tags=["reports"],
                   summary="One of my statements")
    def get(self, request, statement_id: str):
        return Response(StatementSerializer(_own_statement(request, statement_id)).data)


def _file_answer(statement, kind: str) -> HttpResponse:
    if kind == "csv":
        response = HttpResponse(statement.csv, content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(bytes(statement.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{statement.filename}.{kind}"'
    return response


class StatementCsvView(APIView):
    @extend_schema(operation_id="statements_csv", tags=["reports"], summary="One of my statements as CSV",
                   responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, statement_id: str):
        return _file_answer(_own_statement(request, statement_id), "csv")


class StatementPdfView(APIView):
    @extend_schema(operation_id="statements_pdf", tags=["reports"], summary="One of my statements as PDF",
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, statement_id: str):
        return _file_answer(_own_statement(request, statement_id), "pdf")


RANGE = [OpenApiParameter("start", OpenApiTypes.DATE, required=True, description="First day (UTC), YYYY-MM-DD."),
         OpenApiParameter("end", OpenApiTypes.DATE, required=True,
                          description="Last day (UTC), included; at most 366 days after start.")]


class ExportView(APIView):
    rows = None
    name = ""

    def get(self, request):
        first, last = export_range(start=request.query_params.get("start"), end=request.query_params.get("end"))
        lines = type(self).rows(account=current_account(request), first=first, last=last)
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.name}-{first}-{last}.csv"'
        return response


class OrderExportView(ExportView):
    rows = staticmethod(orders_csv)
    name = "orders"

    @extend_schema(operation_id="exports_orders", parameters=RANGE, tags=["reports"],
                   responses={(200, "text/csv"): OpenApiTypes.STR}, summary="My orders of a date range as CSV")
    def get(self, request):
        return super().get(request)


class FillExportView(ExportView):
    rows = staticmethod(fills_csv)
    name = "fills"

    @extend_schema(operation_id="exports_fills", parameters=RANGE, tags=["reports"],
                   responses={(200, "text/csv"): OpenApiTypes.STR}, summary="My fills of a date range as CSV")
    def get(self, request):
        return super().get(request)
