"""Bus commands: one encoding, and every malformed entry refused by name."""

import pytest

from orders.bus import BusCommand, CommandKind, MalformedCommand


@pytest.mark.parametrize("command", [
    BusCommand(CommandKind.NEW, "AAPL", 1), BusCommand(CommandKind.CANCEL, "BRK.A", 2**63 - 1),
    BusCommand(CommandKind.REPLACE, "X", 7), BusCommand(CommandKind.HALT, "AAPL"),
    BusCommand(CommandKind.RESUME, "AAPL"), BusCommand(CommandKind.EXPIRE_DAY, "AAPL"),
])
def test_a_command_decodes_to_itself(command):
    assert BusCommand.decode(command.encode()) == command


def test_the_encoding_is_what_pending_entries_of_older_workers_hold():
    assert BusCommand(CommandKind.NEW, "AAPL", 5).encode() == b'{"kind":"new","symbol":"AAPL","order_id":5}'
    assert BusCommand.decode(b'{"kind": "halt", "symbol": "AAPL"}') == BusCommand(CommandKind.HALT, "AAPL")


@pytest.mark.parametrize("raw", [
    b"", b"not json", b"[1]", b'"new"', b"\xff\xfe", b'{"kind": "new"}', b'{"symbol": "AAPL"}',
    b'{"kind": "launch", "symbol": "AAPL"}', b'{"kind": "new", "symbol": "AAPL"}',
    b'{"kind": "new", "symbol": "AAPL", "order_id": "5"}', b'{"kind": "new", "symbol": "AAPL", "order_id": 0}',
    b'{"kind": "new", "symbol": "AAPL", "order_id": -3}', b'{"kind": "new", "symbol": "AAPL", "order_id": 1.5}',
    b'{"kind": "new", "symbol": "AAPL", "order_id": true}', b'{"kind": "new", "symbol": "AAPL", "order_id": 1e400}',
    b'{"kind": "new", "symbol": "AAPL", "order_id": 9223372036854775808}', b'{"kind": "halt", "symbol": "AAPL", "order_id": 1}',
    b'{"kind": "halt", "symbol": ""}', b'{"kind": "halt", "symbol": 5}', b'{"kind": ["new"], "symbol": "AAPL"}',
])
def test_a_malformed_entry_is_refused(raw):
    with pytest.raises(MalformedCommand):
        BusCommand.decode(raw)
