import json

import pytest
from channels.testing import WebsocketCommunicator

from tradeapp.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://localhost")]


async def connect() -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/v1/", headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def test_ping_answers_pong():
    ws = await connect()
    await ws.send_json_to({"action": "ping"})
    assert await ws.receive_json_from() == {"type": "pong"}
    await ws.disconnect()


@pytest.mark.parametrize(
    "frame, code",
    [
        ("not json at all", "bad_json"),
        ("{\"action\": ", "bad_json"),
        ("[1, 2, 3]", "bad_message"),
        ("{\"no_action\": true}", "bad_message"),
        ("{\"action\": 42}", "bad_message"),
        ("{\"action\": \"launch_missiles\"}", "unknown_action"),
        ("x" * (64 * 1024 + 1), "bad_message"),
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays_open(frame, code):
    ws = await connect()
    await ws.send_to(text_data=frame)
    reply = await ws.receive_json_from()
    assert reply["type"] == "error"
    assert reply["code"] == code
    assert reply["message"]
    await ws.send_json_to({"action": "ping"})
    assert await ws.receive_json_from() == {"type": "pong"}
    await ws.disconnect()


async def test_binary_frame_is_refused_with_an_error():
    ws = await connect()
    await ws.send_to(bytes_data=b"\x00\x01")
    assert (await ws.receive_json_from())["code"] == "bad_message"
    await ws.disconnect()


async def test_foreign_origin_is_rejected():
    communicator = WebsocketCommunicator(application, "/ws/v1/", headers=[(b"origin", b"http://evil.example")])
    connected, _ = await communicator.connect()
    assert not connected


async def test_error_payload_is_json_with_code_and_message():
    ws = await connect()
    await ws.send_to(text_data="nope")
    raw = await ws.receive_from()
    assert json.loads(raw) == {"type": "error", "code": "bad_json", "message": "The frame is not valid JSON."}
    await ws.disconnect()


async def test_an_unknown_websocket_path_is_refused_cleanly():
    communicator = WebsocketCommunicator(application, "/ws/v2/nothing/", headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.wait(timeout=2)  # the consumer has ended by itself
