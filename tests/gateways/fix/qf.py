"""QuickFIX (an independent FIX engine, pip `quickfix`) as the gateway's client: a SocketInitiator
with a file store (sequence numbers kept across reconnects, as a real counterparty keeps them) and
the FIX 4.4 data dictionary, so every message the gateway sends is validated by QuickFIX too."""

import queue
import sys
import time
from pathlib import Path

import quickfix as fix

from gateways.fix import codec

DICTIONARY = Path(sys.prefix) / "share" / "quickfix" / "FIX44.xml"


class _App(fix.Application):
    def __init__(self, client):
        super().__init__()
        self.client = client

    def onCreate(self, session_id):
        self.client.session_id = session_id

    def onLogon(self, session_id):
        self.client.logged_on = True

    def onLogout(self, session_id):
        self.client.logged_on = False

    def toAdmin(self, message, session_id):
        if message.getHeader().getField(35) == "A":
            message.setField(553, self.client.key_id)
            message.setField(554, self.client.secret)

    def fromAdmin(self, message, session_id):
        self.client.inbox.put(codec.parse(message.toString().encode()))

    def toApp(self, message, session_id):
        pass

    def fromApp(self, message, session_id):
        self.client.inbox.put(codec.parse(message.toString().encode()))


class QuickFixClient:
    def __init__(self, *, port: int, comp_id: str, key_id: str, secret: str, directory: Path, heartbeat: int = 30):
        self.comp_id, self.key_id, self.secret = comp_id, key_id, secret
        self.inbox: queue.Queue = queue.Queue()
        self.seen: list[codec.Message] = []
        self.logged_on = False
        self.session_id = None
        directory.mkdir(parents=True, exist_ok=True)
        config = directory / f"{comp_id}.cfg"
        config.write_text(f"""[DEFAULT]
ConnectionType=initiator
ReconnectInterval=1
FileStorePath={directory / 'store'}
StartTime=00:00:00
EndTime=00:00:00
UseDataDictionary=Y
DataDictionary={DICTIONARY}
ValidateUserDefinedFields=N
ResetOnLogon=N
ResetOnLogout=N
ResetOnDisconnect=N
[SESSION]
BeginString=FIX.4.4
SenderCompID={comp_id}
TargetCompID=VENUE
SocketConnectHost=127.0.0.1
SocketConnectPort={port}
HeartBtInt={heartbeat}
""")
        self.settings = fix.SessionSettings(str(config))
        self.app = _App(self)
        self.store = fix.FileStoreFactory(self.settings)
        self.initiator = None

    def start(self, timeout: float = 20) -> "QuickFixClient":
        self.initiator = fix.SocketInitiator(self.app, self.store, self.settings, fix.ScreenLogFactory(False, False, False))
        self.initiator.start()
        deadline = time.monotonic() + timeout
        while not self.logged_on:
            assert time.monotonic() < deadline, f"QuickFIX {self.comp_id} did not log on; got {self.drain()}"
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.initiator is not None:
            self.initiator.stop()
            self.initiator = None
            self.logged_on = False

    def session(self):
        return fix.Session.lookupSession(self.session_id)

    def send(self, msg_type: str, fields) -> None:
        """`fields`: (tag, value), or (NoXXX tag, [[(tag, value), ...], ...]) for a repeating group."""
        message = fix.Message()
        message.getHeader().setField(35, msg_type)
        for tag, value in fields:
            if isinstance(value, list):
                for entry in value:
                    group = fix.Group(tag, entry[0][0])
                    for entry_tag, entry_value in entry:
                        group.setField(entry_tag, str(entry_value))
                    message.addGroup(group)
            else:
                message.setField(tag, str(value))
        assert fix.Session.sendToTarget(message, self.session_id)

    def expect(self, msg_type: str, timeout: float = 15, **where) -> codec.Message:
        """The next not yet taken message of that type (and those values: t150="F"), waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            for index, message in enumerate(self.seen):
                if message.msg_type == msg_type and all(message.get(int(k[1:])) == v for k, v in where.items()):
                    return self.seen.pop(index)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.comp_id}: no {msg_type} {where} within {timeout}s; "
                                     f"have {[m.pairs for m in self.seen]}")
            try:
                self.seen.append(self.inbox.get(timeout=min(remaining, 0.2)))
            except queue.Empty:
                pass

    def drain(self, seconds: float = 0.0) -> list[codec.Message]:
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.seen.append(self.inbox.get(timeout=max(0.0, deadline - time.monotonic()) or 0.001))
            except queue.Empty:
                if time.monotonic() >= deadline:
                    break
        out, self.seen = self.seen, []
        return out


def report(message: codec.Message, *tags: int) -> dict[int, str | None]:
    """The values of these tags of a message."""
    return {tag: message.get(tag) for tag in tags}
