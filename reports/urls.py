"""The browser's reports pages, mounted at /reports/ by tradeapp.urls."""

from django.urls import path

from reports import views

urlpatterns = [
    path("", views.statements_page, name="reports"),
    path("statements/<int:statement_id>.csv", views.statement_file, {"kind": "csv"}, name="statement-csv"),
    path("statements/<int:statement_id>.pdf", views.statement_file, {"kind": "pdf"}, name="statement-pdf"),
]
