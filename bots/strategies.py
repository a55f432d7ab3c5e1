"""The bots' coroutines. Each decides on the event loop and does every database read and
order through `bots.gateway` in the process's database thread. A cycle that fails for any
reason is logged and the bot carries on with the next one; only cancellation stops it."""

import asyncio
import json
import random
import secrets
from decimal import Decimal

from bots import gateway
from bots.gateway import BotSpec
from bots.quoting import MakerParams, desired_quotes, floor_to, inventory_ratio, plan
from common.db.threads import in_db_thread
from common.logging import get_logger
from common.outages import outage_logged
from marketdata.feeds.reference import read_reference
from realtime.channels import book_key

log = get_logger("bots")


class Bot:
    def __init__(self, spec: BotSpec, *, redis, rng: random.Random | None = None):
        self.spec = spec  # replaced by the runner when ops edit the bot
        self.redis = redis
        self.rng = rng or random.Random()
        self.cycles = 0
        self.failures = 0
        self.prefix = gateway.cid_prefix(spec.name)

    async def reference(self, symbol: str, fallback: Decimal | None) -> Decimal | None:
        """The feed's latest reference price (Redis), else the database's."""
        try:
            price = await read_reference(self.redis, symbol)
        except Exception:
            price = None
        return price or fallback

    async def cycle(self) -> None:
        raise NotImplementedError

    def delay(self) -> float:
        return float(self.spec.interval_seconds)

    async def run(self) -> None:
        await asyncio.sleep(self.rng.uniform(0, min(self.delay(), 1.0)))  # spread the bots' cycles out
        while True:
            try:
                await self.cycle()
                self.cycles += 1
            except asyncio.CancelledError:
                raise
            except Exception as error:  # never let one bad cycle end the bot
                self.failures += 1
                if not outage_logged(log, error, what="bot cycles failing"):
                    log.warning("bot cycle failed", bot=self.spec.name, error=repr(error)[:300], failures=self.failures)
            await asyncio.sleep(self.delay())


class MarketMaker(Bot):
    """Quotes a bid and an ask (and further levels) in one symbol around the reference
    price, skewed against its inventory, replacing them as the reference moves."""

    def __init__(self, spec: BotSpec, symbol: str, **kwargs):
        super().__init__(spec, **kwargs)
        self.symbol = symbol
        self.quoting = False

    async def cycle(self) -> None:
        spec = self.spec
        state = await in_db_thread(gateway.symbol_state)(account_id=spec.account_id, symbol=self.symbol,
                                                         cid_prefix=self.prefix)
        if state is None or not state.trading:
            return  # halted: the engine would refuse changes; the quotes stay as they are
        reference = await self.reference(self.symbol, state.reference)
        if reference is None:
            return
        params = MakerParams(spread_bps=spec.spread_bps, levels=spec.levels,
                             level_spacing_bps=spec.level_spacing_bps, order_qty=spec.order_qty,
                             max_inventory=spec.max_inventory, skew_bps=spec.skew_bps,
                             requote_ticks=spec.requote_ticks)
        ratio = inventory_ratio(position=state.position, target=state.target, max_inventory=spec.max_inventory)
        band = None
        if state.reference:  # stay inside the band the order services check, around the database's reference
            band = (state.reference * (1 - state.band), state.reference * (1 + state.band))
        desired = desired_quotes(reference=reference, tick=state.tick, lot=state.lot, ratio=ratio, params=params,
                                 band=band)
        actions = plan(desired=desired, orders=list(state.orders), tick=state.tick, requote_ticks=spec.requote_ticks)
        if not actions:
            return
        tokens = [secrets.token_hex(6) for _ in actions]
        outcomes = await in_db_thread(gateway.execute_quotes)(
            bot=spec.name, account_id=spec.account_id, symbol=self.symbol, cid_prefix=self.prefix,
            actions=actions, tokens=tokens)
        if not self.quoting and any(o.ok for o in outcomes):
            self.quoting = True
            log.info("market maker quoting", bot=spec.name, symbol=self.symbol, reference=str(reference))

    async def withdraw(self) -> None:
        """Cancel this bot's quotes in the symbol (on stop or when disabled)."""
        count = await in_db_thread(gateway.cancel_bot_orders)(bot=self.spec.name, account_id=self.spec.account_id,
                                                              symbol=self.symbol, cid_prefix=self.prefix)
        if count:
            log.info("market maker withdrew its quotes", bot=self.spec.name, symbol=self.symbol, orders=count)


class NoiseTaker(Bot):
    """Now and then sends a small market order in a random symbol: random side, leaning
    toward bringing its position back to target, only into a side of the book that has
    liquidity."""

    def delay(self) -> float:
        return self.rng.expovariate(1 / max(float(self.spec.interval_seconds), 0.05))

    async def cycle(self) -> None:
        spec = self.spec
        if not spec.symbols:
            return
        symbol = self.rng.choice(spec.symbols)
        state = await in_db_thread(gateway.symbol_state)(account_id=spec.account_id, symbol=symbol)
        if state is None or not state.trading:
            return
        ratio = inventory_ratio(position=state.position, target=state.target, max_inventory=spec.max_inventory)
        side = "buy" if self.rng.random() < 0.5 - 0.4 * float(ratio) else "sell"
        lots = max(1, int(spec.order_qty / state.lot))
        qty = state.lot * self.rng.randint(1, lots)
        if side == "sell":
            qty = min(qty, floor_to(state.free_position, state.lot))
            if qty <= 0:
                return
        if not await self._has_liquidity(symbol, "asks" if side == "buy" else "bids"):
            return
        await in_db_thread(gateway.place_market_order)(
            bot=spec.name, account_id=spec.account_id, symbol=symbol, side=side, qty=qty,
            client_order_id=f"{self.prefix}{secrets.token_hex(8)}")

    async def _has_liquidity(self, symbol: str, side: str) -> bool:
        try:
            raw = await self.redis.get(book_key(symbol))
            return bool(raw and json.loads(raw).get(side))
        except Exception:
            return False
