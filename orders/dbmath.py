"""Balance arithmetic done inside the database, exact on every backend.

PostgreSQL adds NUMERIC exactly; SQLite adds REAL, so `F("reserved_cash") + amount` can land
at -1e-13 instead of 0 and trip a CHECK constraint, or make two equal sums compare unequal.
Rounding each sum back to the column's places makes SQLite agree with PostgreSQL.
"""

from decimal import Decimal

from django.db.models import F, Value
from django.db.models.functions import Round

from orders.models import MONEY, QTY

CASH_PLACES = MONEY["decimal_places"]
QTY_PLACES = QTY["decimal_places"]


def cash_plus(field: str, amount: Decimal) -> Round:
    return Round(F(field) + Value(amount), CASH_PLACES)


def qty_plus(field: str, amount: Decimal) -> Round:
    return Round(F(field) + Value(amount), QTY_PLACES)
