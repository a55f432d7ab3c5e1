"""The browser pages: the watchlist, the trade screen and the API keys settings. Market and order
data come from the public REST and WebSocket API (see docs/ui.md); these views render the shell and
its configuration, and the settings page calls the API key services."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie

from common.decimals import format_decimal, places_of
from common.errors import ServiceError
from marketdata.selectors import instrument_list
from orders.services.api_keys import api_key_create, api_key_list, api_key_revoke
from ui.forms import ApiKeyForm
from ui.selectors import session_opens


def _plain(value) -> str:
    return format(value.normalize(), "f")


def _config(request: HttpRequest, **extra) -> dict:
    instruments = list(instrument_list())
    opens = session_opens(instruments=instruments)
    return {
        "user": request.user.username if request.user.is_authenticated else None,
        "opens": {i.symbol: (format_decimal(opens[i.symbol], places_of(i.tick_size))
                             if opens[i.symbol] is not None else None) for i in instruments},
        "symbols": [i.symbol for i in instruments],
        "instruments": [{"symbol": i.symbol, "name": i.name, "tick_size": _plain(i.tick_size),
                         "lot_size": _plain(i.lot_size), "status": i.status} for i in instruments],
        **extra,
    }


@ensure_csrf_cookie
def markets(request: HttpRequest) -> HttpResponse:
    return render(request, "ui/markets.html", {"ui_config": _config(request, page="markets")})


@login_required
@ensure_csrf_cookie
def trade(request: HttpRequest, symbol: str) -> HttpResponse:
    instrument = next((i for i in instrument_list() if i.symbol == symbol), None)
    if instrument is None:
        raise Http404(f"Unknown symbol {symbol!r}.")
    context = {"instrument": instrument, "tick": _plain(instrument.tick_size), "lot": _plain(instrument.lot_size),
               "ui_config": _config(request, page="trade", symbol=instrument.symbol)}
    return render(request, "ui/trade.html", context)


@login_required
@never_cache
def api_keys(request: HttpRequest) -> HttpResponse:
    """Settings > API keys: mine, a form to create one (its secret is shown in this answer only, never
    stored), and revoke buttons. All writes through the API key services."""
    form, created, error = ApiKeyForm(), None, None
    if request.method == "POST":
        if "revoke" in request.POST:
            try:
                api_key_revoke(user=request.user, key_id=request.POST["revoke"])
            except ServiceError as refusal:
                error = refusal.detail
            else:
                return redirect("api-keys")
        else:
            form = ApiKeyForm(request.POST)
            if form.is_valid():
                scope = form.cleaned_data["scope"]
                try:
                    created = api_key_create(user=request.user, label=form.cleaned_data["label"],
                                             scopes=["read", "trade"] if scope == "trade" else ["read"])
                except ServiceError as refusal:
                    error = refusal.detail
                else:
                    form = ApiKeyForm()
    context = {"form": form, "keys": api_key_list(user=request.user), "error": error,
               "created": {"key_id": created[0].key_id, "secret": created[1], "scopes": created[0].scopes}
               if created else None}
    return render(request, "ui/api_keys.html", context)  # never_cache: no-store, the page may hold a secret
