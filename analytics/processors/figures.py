"""The figures stage: folds each batch into its symbols' SymbolFigures; after each run, their
changed minutes to the database and their latest values to Redis (`analytics_key`) and to the
hubs (an AnalyticsUpdate on the symbol's channel)."""

from analytics.figures import SymbolFigures
from analytics.pipeline import BaseProcessor, Output
from analytics.store import analytics_minutes_restore, analytics_minutes_save
from common.jsontext import dumps
from realtime.channels import analytics_key, symbol_channel
from realtime.messages import AnalyticsUpdate, EngineBatch


class FiguresProcessor(BaseProcessor):
    name = "figures"

    def __init__(self):
        self.symbols: dict[str, SymbolFigures] = {}
        self.changed: set[str] = set()
        self.ids: dict[str, int] = {}  # symbol -> instrument id, filled by the writes

    def get(self, symbol: str) -> SymbolFigures:
        figures = self.symbols.get(symbol)
        if figures is None:
            figures = self.symbols[symbol] = SymbolFigures(symbol)
        return figures

    def restore(self) -> None:
        self.symbols, self.changed = {}, set()
        for symbol, rows in analytics_minutes_restore().items():
            figures = self.get(symbol)
            for row in rows:
                figures.load(row)

    def on_batch(self, entry_id: str, batch: EngineBatch, out: Output) -> None:
        for symbol, part in batch.symbols.items():
            figures = self.get(symbol)
            for trade in part.get("trades") or ():
                figures.add_trade(price=trade["price"], qty=trade["qty"], aggressor_side=trade["aggressor_side"],
                                  ts=trade["ts"])
            quote = part.get("quote")
            if quote:
                figures.add_quote(quote=quote, ts=batch.ts)
            self.changed.add(symbol)

    def flush(self, out: Output) -> None:
        if not self.changed:
            return
        rows, texts = {}, {}
        for symbol in sorted(self.changed):
            figures = self.symbols[symbol]
            rows[symbol] = figures.take_dirty()
            texts[symbol] = (dumps(figures.values()), AnalyticsUpdate(symbol=symbol, values=figures.values()).encode())
        self.changed = set()
        ids = self.ids
        out.db.append(lambda: analytics_minutes_save(rows=rows, ids=ids))

        def publish(pipe) -> None:
            for symbol, (latest, message) in texts.items():
                pipe.set(analytics_key(symbol), latest)
                pipe.publish(symbol_channel(symbol), message)

        out.redis.append(publish)
