"""The browser's reports page: my statements (download CSV or PDF) and the CSV export of my orders
and fills for a date range. Same selectors as the REST views; only the caller's own."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from common.errors import ServiceError
from orders.services import account_for_user
from reports.exports import MAX_EXPORT_DAYS, export_range, fills_csv, orders_csv
from reports.selectors import statement_get, statement_list

EXPORTS = {"orders": orders_csv, "fills": fills_csv}


@login_required
@never_cache
def statements_page(request: HttpRequest) -> HttpResponse:
    """GET: my statements and the export form. With ?export=orders|fills&start=&end=: the CSV, or the
    page again with the error."""
    account = account_for_user(user=request.user)
    error, status = None, 200
    kind = request.GET.get("export")
    if kind is not None:
        try:
            if kind not in EXPORTS:
                raise ServiceError("invalid", "Export orders or fills.", kind="invalid", field="export")
            first, last = export_range(start=request.GET.get("start"), end=request.GET.get("end"))
        except ServiceError as refusal:
            error, status = refusal.detail, 400
        else:
            response = StreamingHttpResponse(EXPORTS[kind](account=account, first=first, last=last),
                                             content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{kind}-{first}-{last}.csv"'
            return response
    context = {"statements": statement_list(account=account)[:400], "error": error, "max_days": MAX_EXPORT_DAYS,
               "start": request.GET.get("start", ""), "end": request.GET.get("end", "")}
    return render(request, "reports/statements.html", context, status=status)


@login_required
def statement_file(request: HttpRequest, statement_id: int, kind: str) -> HttpResponse:
    statement = statement_get(account=account_for_user(user=request.user), statement_id=statement_id)
    if statement is None:
        raise Http404("No such statement.")
    if kind == "csv":
        response = HttpResponse(statement.csv, content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(bytes(statement.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{statement.filename}.{kind}"'
    return response
