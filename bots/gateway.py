"""Everything the bots do with the database: read their configuration and state, and trade
through the order services, exactly as a user's request would. Blocking, so it only runs
in the bot process's one database thread (`in_db_thread`), never on the event loop.

Every service refusal (ServiceError) is caught here, logged and returned as a code: a
rejection never reaches the bot's loop as an exception.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from bots.models import BotConfig
from bots.quoting import Cancel, OpenOrder, Place, Replace
from common import metrics
from common.errors import ServiceError
from common.logging import get_logger
from marketdata.models import Instrument
from orders.models import Account, Order, Position, PositionTransfer
from orders.services import order_cancel, order_place, order_replace

log = get_logger("bots")

ZERO = Decimal(0)


# --- configuration ----------------------------------------------------------------
@dataclass(frozen=True)
class BotSpec:
    """A snapshot of one BotConfig row, with its account and symbols resolved."""

    id: int
    name: str
    kind: str
    username: str
    account_id: int | None
    symbols: tuple[str, ...]
    interval_seconds: Decimal
    order_qty: Decimal
    spread_bps: Decimal
    levels: int
    level_spacing_bps: Decimal
    max_inventory: Decimal
    skew_bps: Decimal
    requote_ticks: int


CONFIG_FIELDS = {f.name for f in BotConfig._meta.fields} - {"id", "updated_at"}


def ensure_default_configs(defaults: list[dict]) -> list[str]:
    """Create the configured default bots that do not exist yet (by name); never overwrite
    what ops changed. Returns the names created."""
    created = []
    for entry in defaults:
        values = {k: v for k, v in entry.items() if k in CONFIG_FIELDS and k != "name"}
        _, made = BotConfig.objects.get_or_create(name=entry["name"], defaults=values)
        if made:
            created.append(entry["name"])
    return created


def load_specs() -> list[BotSpec]:
    """The enabled bots. Symbols left empty mean every instrument; unknown symbols are dropped."""
    accounts = dict(Account.objects.filter(user__username__in=BotConfig.objects.values("username"))
                    .values_list("user__username", "pk"))
    all_symbols = list(Instrument.objects.order_by("symbol").values_list("symbol", flat=True))
    specs = []
    for config in BotConfig.objects.filter(enabled=True):
        wanted = config.symbol_list
        symbols = tuple(s for s in all_symbols if not wanted or s in wanted)
        specs.append(BotSpec(
            id=config.pk, name=config.name, kind=config.kind, username=config.username,
            account_id=accounts.get(config.username), symbols=symbols, interval_seconds=config.interval_seconds,
            order_qty=config.order_qty, spread_bps=config.spread_bps, levels=config.levels,
            level_spacing_bps=config.level_spacing_bps, max_inventory=config.max_inventory,
            skew_bps=config.skew_bps, requote_ticks=config.requote_ticks))
    return specs


# --- state ------------------------------------------------------------------------
@dataclass(frozen=True)
class SymbolState:
    symbol: str
    trading: bool
    tick: Decimal
    lot: Decimal
    reference: Decimal | None  # the database's reference (else last) price
    band: Decimal
    position: Decimal  # quantity held
    free_position: Decimal  # held and not reserved by open sells
    target: Decimal  # what the account was granted: the inventory it aims to keep
    orders: tuple[OpenOrder, ...] = ()


def _position(account_id: int, instrument: Instrument) -> tuple[Decimal, Decimal, Decimal]:
    position = Position.objects.filter(account_id=account_id, instrument=instrument).first()
    target = PositionTransfer.objects.filter(account_id=account_id, instrument=instrument).aggregate(
        total=Sum("qty"))["total"] or ZERO
    if position is None:
        return ZERO, ZERO, target
    return position.qty, position.qty - position.reserved_qty, target


def symbol_state(*, account_id: int, symbol: str, cid_prefix: str | None = None) -> SymbolState | None:
    """The instrument, the account's position and, with cid_prefix, the bot's open orders
    (those whose client_order_id starts with it). None if the instrument does not exist."""
    instrument = Instrument.objects.filter(symbol=symbol).first()
    if instrument is None:
        return None
    qty, free, target = _position(account_id, instrument)
    orders = ()
    if cid_prefix:
        rows = Order.objects.filter(account_id=account_id, instrument=instrument, status__in=Order.OPEN_STATUSES,
                                    client_order_id__startswith=cid_prefix).order_by("id")
        orders = tuple(o for o in (_open_order(row, cid_prefix) for row in rows) if o is not None)
    return SymbolState(symbol=symbol, trading=instrument.is_trading, tick=instrument.tick_size,
                       lot=instrument.lot_size, reference=instrument.reference_price or instrument.last_price,
                       band=instrument.price_band, position=qty, free_position=free, target=target, orders=orders)


def cid_prefix(bot_name: str) -> str:
    """Every client order id of a bot starts with this; a slug never contains ":", so one
    bot's prefix is never the start of another's."""
    return f"{bot_name}:"


def quote_cid(prefix: str, side: str, level: int, token: str) -> str:
    """e.g. "mm:b0:9f2c41d07a3e": the bot, the quote's slot (side and level), a unique token."""
    return f"{prefix}{side[0]}{level}:{token}"


def _open_order(row: Order, prefix: str) -> OpenOrder | None:
    slot = row.client_order_id[len(prefix):].split(":", 1)[0]
    side = {"b": "buy", "s": "sell"}.get(slot[:1])
    if side != row.side or not slot[1:].isdigit() or row.limit_price is None:
        level = 10**6  # not a slot the bot knows: planned as unwanted, so cancelled
    else:
        level = int(slot[1:])
    return OpenOrder(id=row.pk, side=row.side, level=level, price=row.limit_price or ZERO, qty=row.qty,
                     filled_qty=row.filled_qty, status=row.status, replace_pending=row.replace_qty is not None)


# --- trading ----------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    action: object
    ok: bool
    code: str = ""
    order_id: int | None = None


def _refused(bot: str, symbol: str, what: str, error: ServiceError) -> None:
    log.warning("bot order refused", bot=bot, symbol=symbol, action=what, code=error.code, detail=error.detail[:200])
    metrics.BOT_ORDERS.labels(bot, what.split()[0], error.code).inc()


def _done(bot: str, what: str) -> None:
    metrics.BOT_ORDERS.labels(bot, what, "ok").inc()


def execute_quotes(*, bot: str, account_id: int, symbol: str, cid_prefix: str, actions: list,
                   tokens: list[str]) -> list[Outcome]:
    """Carry out a market maker's plan, one service call per action; each refusal is logged
    and reported, and the rest of the plan goes on."""
    account = Account.objects.get(pk=account_id)
    outcomes = []
    for action, token in zip(actions, tokens):
        try:
            if isinstance(action, Place):
                quote = action.quote
                order, _ = order_place(account=account, symbol=symbol, side=quote.side, type="limit", qty=quote.qty,
                                       time_in_force="gtc", limit_price=quote.price,
                                       client_order_id=quote_cid(cid_prefix, quote.side, quote.level, token))
                outcomes.append(Outcome(action, True, order_id=order.pk))
                _done(bot, "place")
            elif isinstance(action, Replace):
                order_replace(account=account, order_id=action.order_id, qty=action.qty,
                              limit_price=action.quote.price)
                outcomes.append(Outcome(action, True, order_id=action.order_id))
                _done(bot, "replace")
            elif isinstance(action, Cancel):
                order_cancel(account=account, order_id=action.order_id)
                outcomes.append(Outcome(action, True, order_id=action.order_id))
                _done(bot, "cancel")
        except ServiceError as error:
            _refused(bot, symbol, type(action).__name__.lower(), error)
            outcomes.append(Outcome(action, False, code=error.code))
    return outcomes


def place_market_order(*, bot: str, account_id: int, symbol: str, side: str, qty: Decimal,
                       client_order_id: str) -> Outcome:
    account = Account.objects.get(pk=account_id)
    try:
        order, _ = order_place(account=account, symbol=symbol, side=side, type="market", qty=qty,
                               time_in_force="ioc", client_order_id=client_order_id)
    except ServiceError as error:
        _refused(bot, symbol, "market", error)
        return Outcome(None, False, code=error.code)
    _done(bot, "market")
    return Outcome(None, True, order_id=order.pk)


def cancel_bot_orders(*, bot: str, account_id: int, symbol: str | None, cid_prefix: str) -> int:
    """Withdraw the bot's open orders (by client order id prefix), in one symbol or all."""
    account = Account.objects.get(pk=account_id)
    orders = Order.objects.filter(account_id=account_id, client_order_id__startswith=cid_prefix,
                                  status__in=(Order.Status.ACCEPTED, Order.Status.NEW, Order.Status.PARTIALLY_FILLED))
    if symbol:
        orders = orders.filter(instrument__symbol=symbol)
    cancelled = 0
    for order_id in orders.values_list("pk", flat=True):
        try:
            order_cancel(account=account, order_id=order_id)
            cancelled += 1
        except ServiceError as error:
            _refused(bot, symbol or "*", "cancel", error)
    return cancelled
