"""The WebSocket API at /ws/v1/ (see API.md). Parses frames and answers; rules live elsewhere."""

import json

from channels.generic.websocket import AsyncWebsocketConsumer

MAX_FRAME_BYTES = 64 * 1024


class StreamConsumer(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None or len(text_data) > MAX_FRAME_BYTES:
            await self.send_error("bad_message", "Send one JSON object per text frame (at most 64 KiB).")
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            await self.send_error("bad_json", "The frame is not valid JSON.")
            return
        if not isinstance(message, dict) or not isinstance(message.get("action"), str):
            await self.send_error("bad_message", 'Expected an object with an "action" string.')
            return
        handler = self.actions.get(message["action"])
        if handler is None:
            await self.send_error("unknown_action", f"Unknown action {message['action'][:40]!r}.")
            return
        await handler(self, message)

    async def action_ping(self, message: dict) -> None:
        await self.send_json({"type": "pong"})

    actions = {"ping": action_ping}

    async def send_json(self, payload: dict) -> None:
        await self.send(text_data=json.dumps(payload))

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})
