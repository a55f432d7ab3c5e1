"""The `run_bots` process: one coroutine per market maker and symbol and one per taker, kept
in step with the BotConfig table (re-read every BOTS_RELOAD_INTERVAL seconds). On SIGINT or
SIGTERM, or when ops disable a bot, its market makers cancel their quotes before they stop."""

import asyncio
import random
import signal

from django.conf import settings

from bots import gateway
from bots.gateway import BotSpec
from bots.models import BotConfig
from bots.strategies import Bot, MarketMaker, NoiseTaker
from common.db.threads import in_db_thread
from common.logging import get_logger
from common.outages import outage_logged
from common.redis import new_async_redis

log = get_logger("bots")

STOP_TIMEOUT = 10.0


def _identity(spec: BotSpec) -> tuple:
    """What a running bot cannot change in place: a change restarts it."""
    return spec.id, spec.kind, spec.account_id


class BotRunner:
    def __init__(self, *, reload_interval: float | None = None, defaults: list[dict] | None = None,
                 seed: int | None = None):
        self.reload_interval = reload_interval or settings.BOTS_RELOAD_INTERVAL
        self.defaults = settings.BOTS if defaults is None else defaults
        self.rng = random.Random(seed)
        self.stopping = asyncio.Event()
        self.bots: dict[tuple[int, str], tuple[Bot, asyncio.Task]] = {}
        self._missing_logged: set[str] = set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stopping.set)
        self.redis = new_async_redis()
        created = None
        while created is None and not self.stopping.is_set():
            try:
                created = await in_db_thread(gateway.ensure_default_configs)(self.defaults)
            except Exception as error:
                if not outage_logged(log, error, what="bot configs not loaded; retrying"):
                    log.warning("bot configs not loaded; retrying", error=repr(error)[:200])
                await self._sleep(2.0)
        if created:
            log.info("default bots created", bots=created)
        while not self.stopping.is_set():
            try:
                await self.sync(await in_db_thread(gateway.load_specs)())
            except Exception as error:
                if not outage_logged(log, error, what="bot configs not reloaded"):
                    log.warning("bot configs not reloaded", error=repr(error)[:200])
            await self._sleep(self.reload_interval)
        await self.stop_all()
        await self.redis.aclose()
        log.info("bots stopped")

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.stopping.wait(), seconds)
        except TimeoutError:
            pass

    async def sync(self, specs: list[BotSpec]) -> None:
        """Start, update and stop bots so that exactly the enabled configs run."""
        wanted: dict[tuple[int, str], BotSpec] = {}
        for spec in specs:
            if spec.account_id is None:
                if spec.username not in self._missing_logged:
                    self._missing_logged.add(spec.username)
                    log.warning("bot has no account yet; waiting (run seed_demo or create the user)",
                                bot=spec.name, username=spec.username)
                continue
            if spec.kind == BotConfig.Kind.MARKET_MAKER:
                wanted.update({(spec.id, symbol): spec for symbol in spec.symbols})
            else:
                wanted[(spec.id, "*")] = spec
        gone = [key for key, (bot, _) in self.bots.items()
                if key not in wanted or _identity(wanted[key]) != _identity(bot.spec)]
        await self._stop([self.bots.pop(key) for key in gone])
        for key, spec in wanted.items():
            if key in self.bots:
                self.bots[key][0].spec = spec  # new spreads, sizes, intervals take effect next cycle
                continue
            rng = random.Random(self.rng.random())
            if spec.kind == BotConfig.Kind.MARKET_MAKER:
                bot = MarketMaker(spec, key[1], redis=self.redis, rng=rng)
            else:
                bot = NoiseTaker(spec, redis=self.redis, rng=rng)
            self.bots[key] = (bot, asyncio.create_task(bot.run(), name=f"bot-{spec.name}-{key[1]}"))
            log.info("bot started", bot=spec.name, kind=spec.kind, symbol=key[1])

    async def _stop(self, entries: list[tuple[Bot, asyncio.Task]]) -> None:
        for _, task in entries:
            task.cancel()
        await asyncio.gather(*(task for _, task in entries), return_exceptions=True)
        makers = [bot for bot, _ in entries if isinstance(bot, MarketMaker)]
        for bot in makers:
            try:
                await asyncio.wait_for(bot.withdraw(), STOP_TIMEOUT)
            except Exception as error:
                log.warning("quotes not withdrawn", bot=bot.spec.name, symbol=bot.symbol, error=repr(error)[:200])
        for bot, _ in entries:
            log.info("bot stopped", bot=bot.spec.name, symbol=getattr(bot, "symbol", "*"), cycles=bot.cycles,
                     failures=bot.failures)

    async def stop_all(self) -> None:
        entries = list(self.bots.values())
        self.bots.clear()
        await self._stop(entries)
