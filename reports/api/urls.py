"""Routes of the reports API, mounted at /api/v1/ by tradeapp.urls."""

from django.urls import path

from reports.api.views import FillExportView, OrderExportView, StatementDetailView, StatementCsvView, StatementListView, StatementPdfView

urlpatterns = [
    path("statements/", StatementListView.as_view(), name="api-statements"),
    path("statements/<str:statement_id>/", StatementDetailView.as_view(), name="api-statement"),
    path("statements/<str:statement_id>/csv/", StatementCsvView.as_view(), name="api-statement-csv"),
    path("statements/<str:statement_id>/pdf/", StatementPdfView.as_view(), name="api-statement-pdf"),
    path("exports/orders/", OrderExportView.as_view(), name="api-export-orders"),
    path("exports/fills/", FillExportView.as_view(), name="api-export-fills"),
]
