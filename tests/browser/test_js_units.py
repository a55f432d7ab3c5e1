"""The page's pure modules, run in Chromium as the pages load them (ES modules from static/):
exact decimals, the book's sequence rules, the ticket's checks, order-state ordering."""

from pathlib import Path

import pytest

from tests.processes import ROOT

pytestmark = pytest.mark.browser

ORIGIN = "http://ui.test"
STATIC = ROOT / "static"


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))

    def serve(route):
        path = route.request.url[len(ORIGIN):].split("?")[0]
        if path == "/":
            return route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>units</title>")
        file = (STATIC / path.removeprefix("/static/")).resolve()
        if not path.startswith("/static/") or STATIC not in file.parents or not file.is_file():
            return route.fulfill(status=404, body="")
        route.fulfill(status=200, content_type="text/javascript", body=Path(file).read_bytes())

    page.route(f"{ORIGIN}/**", serve)
    page.goto(ORIGIN + "/")
    yield page
    context.close()
    assert errors == []


def run(page, module: str, body: str):
    return page.evaluate(f"async () => {{ const m = await import('/static/js/{module}'); {body} }}")


def test_decimals_are_exact(page):
    assert run(page, "decimal.js", """
        const D = m.Dec.parse;
        return [
          D("0.1").add("0.2").toString(), D("190.25").mul("3").toString(), D("1.005").toFixed(2),
          D("-1.005").toFixed(2), D("180.005").isMultipleOf("0.01"), D("180.05").isMultipleOf("0.05"),
          D("1.5").isMultipleOf("1"), D("100").isMultipleOf("1"), m.Dec.parse("1e3"), m.Dec.parse("abc"),
          m.group("1234567.5"), m.money("-0.004"), m.signed(D("1.5"), 2), D("190.10").cmp("190.1"),
        ];""") == ["0.3", "570.75", "1.01", "-1.01", False, True, False, True, None, None,
                   "1,234,567.5", "0.00", "+1.50", 0]


def test_book_applies_contiguous_deltas_and_reports_gaps(page):
    assert run(page, "book.js", """
        const b = new m.OrderBook("AAPL");
        const out = [b.delta({seq: 5, changes: []})];  // no snapshot yet
        b.snapshot({seq: 10, bids: [["99.00", "5"], ["100.00", "3"]], asks: [["101.00", "2"]]});
        out.push(b.best("bid").price, b.best("ask").price);
        out.push(b.delta({seq: 10, changes: [["buy", "100.00", "0"]]}));  // already seen
        out.push(b.delta({seq: 11, changes: [["buy", "100.00", "0"], ["sell", "100.50", "7"]]}));
        out.push(b.best("bid").price, b.best("ask").price, b.levels("ask").length);
        out.push(b.delta({seq: 13, changes: []}), b.synced);  // 12 was missed
        out.push(b.delta({seq: 14, changes: []}));  // ignored until the next snapshot
        return out;""") == ["waiting", "100.00", "101.00", "stale", "applied", "99.00", "100.50", 2,
                            "gap", False, "waiting"]


def test_ticket_checks_tick_lot_and_shape(page):
    result = run(page, "orderform.js", """
        const aapl = {symbol: "AAPL", tick_size: "0.01", lot_size: "1", status: "trading"};
        const check = (input) => m.buildOrder({side: "buy", type: "limit", time_in_force: "gtc", ...input}, aapl);
        return [
          check({qty: "10", limit_price: "180.25"}),
          check({qty: "1.5", limit_price: "180.255"}).errors,
          check({type: "market", qty: "3", limit_price: "180"}),
          check({type: "stop_limit", qty: "3", limit_price: "180", stop_price: ""}).errors,
          check({qty: "3", limit_price: "180", post_only: true, time_in_force: "ioc"}).errors,
          check({qty: "3", limit_price: "180", post_only: true}).body.post_only,
          check({qty: "0", limit_price: "1e2"}).errors,
          check({qty: "1,000", limit_price: "180"}).body.qty,
          m.clientOrderId().length <= 64,
        ];""")
    assert result[0] == {"body": {"symbol": "AAPL", "side": "buy", "type": "limit", "time_in_force": "gtc",
                                  "qty": "10", "limit_price": "180.25"}, "errors": {}}
    assert result[1] == {"qty": "Quantity must be a multiple of the lot size 1.",
                         "limit_price": "Limit price must be a multiple of the tick size 0.01."}
    assert result[2]["errors"] == {} and "limit_price" not in result[2]["body"]
    assert result[3] == {"stop_price": "Enter a stop price."}
    assert result[4] == {"post_only": "Post only applies to GTC or Day limit orders."}
    assert result[5] is True
    assert result[6] == {"qty": "Quantity must be more than zero.", "limit_price": "Limit price must be a number like 0.01."}
    assert result[7] == "1000"
    assert result[8] is True


def test_order_states_only_move_forward(page):
    assert run(page, "store.js", """
        const s = new m.Store();
        const o = {id: 1, symbol: "AAPL", side: "buy", type: "limit", qty: "10", filled_qty: "0", limit_price: "100.00"};
        s.upsertOrder({...o, status: "new", updated_at: "2026-01-01T10:00:01Z"});
        s.upsertOrder({...o, status: "canceled", updated_at: "2026-01-01T10:00:03Z"});
        const late = s.upsertOrder({...o, status: "new", updated_at: "2026-01-01T10:00:02Z"});
        s.upsertOrder({...o, id: 2, status: "partially_filled", filled_qty: "4", updated_at: "2026-01-01T10:00:04Z"});
        s.upsertOrder({...o, id: 3, status: "new", limit_price: "100", updated_at: "2026-01-01T10:00:05Z"});
        return [late, s.orders.get(1).status, s.openOrders().map((x) => x.id),
                s.myLevels("AAPL", "buy").get("100").toString()];""") == [False, "canceled", [3, 2], "16"]
