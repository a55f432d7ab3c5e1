"""The hub's listeners: gateways in the web process (gateways.alpaca's streams) that take the
decoded messages of symbols and accounts themselves and write them in their own protocol, through
the same one pub/sub subscription per symbol and account as the hub's own sockets."""

from common.logging import get_logger
from realtime.channels import account_channel

log = get_logger("realtime.hub")


class Listeners:
    """Mixed into Hub, whose `_check_symbols`, `_stream`, `_join` and `_leave` these use."""

    async def listen_symbols(self, listener, symbols: list[str]) -> None:
        """Call `listener(MarketData)` with every market-data message of these symbols (known
        instruments, else ProtocolError unknown_symbol). The listener must not block or raise."""
        await self._check_symbols(symbols)
        for symbol in symbols:
            await self._stream(symbol)
            self.symbol_listeners.setdefault(symbol, set()).add(listener)

    def unlisten_symbols(self, listener, symbols) -> None:
        for symbol in symbols:
            listeners = self.symbol_listeners.get(symbol)
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    del self.symbol_listeners[symbol]

    async def listen_account(self, listener, account_id: int) -> None:
        """Call `listener(PrivateMessages)` with every private message of the account (order updates,
        account, position), in seq order as published."""
        self.account_listeners.setdefault(account_id, set()).add(listener)
        await self._join(account_channel(account_id))

    async def unlisten_account(self, listener, account_id: int) -> None:
        listeners = self.account_listeners.get(account_id)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self.account_listeners[account_id]
        try:
            await self._leave(account_channel(account_id), lambda: self._account_wanted(account_id))
        except Exception:
            log.warning("unsubscribe failed", exc_info=True)

    def _account_wanted(self, account_id: int) -> bool:
        return account_id in self.accounts or account_id in self.account_listeners

    @staticmethod
    def _tell(listeners_of: dict, key, message) -> None:
        for listener in list(listeners_of.get(key, ())):
            try:
                listener(message)
            except Exception:
                log.exception("listener failed")

