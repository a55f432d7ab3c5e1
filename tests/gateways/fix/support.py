"""The FIX gateway under test: a real `manage.py run_fix` process, sessions made through the real
services, and a raw-socket FIX client (simplefix framing, for the bad-input matrix)."""

import socket
import sys
import time
from contextlib import contextmanager

from gateways.fix import codec
from gateways.fix.models import FixSession
from orders.services.api_keys import api_key_create
from tests.processes import free_port, running, wait_for


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


class Gateway:
    """A running gateway; `restart` stops it and starts it again on the same port."""

    def __init__(self, port: int):
        self.port = port
        self._context = None
        self.process = None

    def start(self) -> None:
        self._context = running([sys.executable, "manage.py", "run_fix", "--port", str(self.port)], log_name="fix")
        self.process = self._context.__enter__()
        wait_for(lambda: port_open(self.port) or self.process.poll() is not None, 30, "FIX gateway listening")
        assert self.process.poll() is None, self.log()[-3000:]

    def stop(self) -> None:
        if self._context is not None:
            self._context.__exit__(None, None, None)
            self._context = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        return self.process.log_path.read_text()


@contextmanager
def gateway_running():
    gateway = Gateway(free_port())
    gateway.start()
    try:
        yield gateway
    finally:
        gateway.stop()


def make_session(account, comp_id: str, *, kind: str = FixSession.Kind.ORDER_ENTRY, trade: bool = True):
    """A FIX session of `account` and an API key of its user: (session, key id, secret)."""
    key, secret = api_key_create(user=account.user, scopes=["read", "trade"] if trade else ["read"], label=comp_id)
    session = FixSession.objects.create(sender_comp_id=comp_id, account=account, kind=kind)
    return session, key.key_id, secret


class RawClient:
    """A FIX client over a plain socket: it sends what it is told, however wrong, and reads frames."""

    def __init__(self, port: int, comp_id: str):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.comp_id = comp_id
        self.seq = 1
        self.reader = codec.FrameReader()
        self.inbox: list[codec.Message] = []
        self.closed = False

    def message(self, msg_type: str, fields, *, seq: int | None = None) -> bytes:
        seq = self.seq if seq is None else seq
        raw, _ = codec.encode(msg_type=msg_type, seq=seq, sender=self.comp_id, target="VENUE", fields=fields)
        return raw

    def send(self, msg_type: str, fields=(), *, seq: int | None = None) -> int:
        used = self.seq if seq is None else seq
        self.send_raw(self.message(msg_type, fields, seq=used))
        if seq is None:
            self.seq += 1
        return used

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def logon(self, key_id: str, secret: str, heartbeat: int = 30, **extra) -> codec.Message:
        self.send("A", [(98, 0), (108, heartbeat), (553, key_id), (554, secret), *extra.items()])
        return self.expect("A")

    def _read(self, timeout: float) -> None:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return
        if not data:
            self.closed = True
            return
        for frame in self.reader.feed(data):
            assert not isinstance(frame, codec.Garbled), frame
            self.inbox.append(codec.parse(frame))

    def expect(self, msg_type: str, timeout: float = 10, **where) -> codec.Message:
        """The first message of that type (and those tag values: t58="...") received, waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            for index, message in enumerate(self.inbox):
                if message.msg_type == msg_type and all(message.get(int(k[1:])) == v for k, v in where.items()):
                    return self.inbox.pop(index)
            if self.closed or time.monotonic() > deadline:
                raise AssertionError(f"no {msg_type} {where} within {timeout}s; got {[m.pairs for m in self.inbox]}")
            self._read(min(0.2, max(0.01, deadline - time.monotonic())))

    def drain(self, seconds: float = 0.3) -> list[codec.Message]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.closed:
            self._read(0.05)
        out, self.inbox = self.inbox, []
        return out

    def wait_closed(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            self._read(0.2)
        assert self.closed, "the gateway did not close the connection"

    def close(self) -> None:
        self.sock.close()
