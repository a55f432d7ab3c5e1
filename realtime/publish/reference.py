"""The feeds' reference prices, told to the WebSocket clients: `run_feed` hands
`reference_publish` to the reference writer (marketdata.feeds.reference), which calls it for
each price in its Redis pipeline."""

from marketdata.feeds.reference import ReferencePrice
from realtime.channels import symbol_channel
from realtime.messages import ReferenceQuote


def reference_publish(pipe, price: ReferencePrice) -> None:
    message = ReferenceQuote(symbol=price.symbol, price=price.price, ts=price.ts, source=price.source)
    pipe.publish(symbol_channel(price.symbol), message.encode())
