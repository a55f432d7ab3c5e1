"""The browser pages: the watchlist and the trade screen. Data comes from the public REST and
WebSocket API (see docs/ui.md); these views only render the shell and its configuration."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from common.decimals import format_decimal, places_of
from marketdata.selectors import instrument_list
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
