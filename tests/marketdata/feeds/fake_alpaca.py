"""A local stand-in for an Alpaca-style quotes stream, built on the websockets library.

Each connection greets, checks the credentials, acknowledges the subscription, then plays
the next script from `scripts` (the last one repeats): a list of frames to send, and how the
connection ends ("close": a normal close; "abort": the TCP connection just drops).
"""

import asyncio
import json

from websockets.asyncio.server import serve

KEY, SECRET = "test-key", "test-secret"


def quote(symbol: str, bid, ask, ts: str = "2024-06-14T14:30:00.123456789Z") -> dict:
    return {"T": "q", "S": symbol, "bx": "V", "bp": bid, "bs": 3, "ax": "V", "ap": ask, "as": 5, "t": ts,
            "c": ["R"], "z": "C"}


class FakeAlpaca:
    def __init__(self, scripts: list[tuple[list, str]], *, reject_auth: int = 0):
        self.scripts = scripts
        self.reject_auth = reject_auth  # refuse the first n logins
        self.connections = 0
        self.logins = 0
        self.subscriptions: list[dict] = []
        self.port: int | None = None
        self._server = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v2/iex"

    async def __aenter__(self):
        self._server = await serve(self.handler, "127.0.0.1", self.port or 0, compression=None)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc):
        self._server.close()
        await self._server.wait_closed()

    async def handler(self, ws) -> None:
        self.connections += 1
        script, ending = self.scripts[min(self.connections - 1, len(self.scripts) - 1)]
        await ws.send(json.dumps([{"T": "success", "msg": "connected"}]))
        auth = json.loads(await ws.recv())
        self.logins += 1
        if self.logins <= self.reject_auth or auth != {"action": "auth", "key": KEY, "secret": SECRET}:
            await ws.send(json.dumps([{"T": "error", "code": 402, "msg": "auth failed"}]))
            await ws.close()
            return
        await ws.send(json.dumps([{"T": "success", "msg": "authenticated"}]))
        subscribe = json.loads(await ws.recv())
        self.subscriptions.append(subscribe)
        await ws.send(json.dumps([{"T": "subscription", "trades": [], "quotes": subscribe.get("quotes", []),
                                   "bars": []}]))
        for frame in script:
            await ws.send(frame if isinstance(frame, (str, bytes)) else json.dumps(frame))
            await asyncio.sleep(0)
        if ending == "abort":
            ws.transport.abort()
        elif ending == "close":
            await ws.close()
        else:
            await ws.wait_closed()  # stays until the client or the server's shutdown closes it
