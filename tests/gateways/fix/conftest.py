import pytest

from tests.factories import make_instrument, make_trader
from tests.gateways.fix.support import gateway_running, make_session


@pytest.fixture
def gateway(transactional_db):
    with gateway_running() as gateway:
        yield gateway


@pytest.fixture
def venue(transactional_db):
    """AAPL, a buyer with cash and a seller with shares, each with an order entry session."""
    aapl = make_instrument("AAPL")
    buyer = make_trader("buyer", cash="1000000.00")
    seller = make_trader("seller", cash="1000.00", positions={aapl: "10000"})
    return {"aapl": aapl, "buyer": buyer, "seller": seller,
            "buyer_fix": make_session(buyer, "BUYER"), "seller_fix": make_session(seller, "SELLER")}
