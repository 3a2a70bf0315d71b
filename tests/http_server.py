"""A real HTTP file server on 127.0.0.1 whose answers a test scripts, request by request.

Each path plays a list of behaviours in order (the last one repeats) and every request is recorded with
its headers, so a test asserts what the client really sent and what it really received.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Serve:
    """Serve ``body``: 200, or 206 for a satisfiable Range when ``honour_range``; 416 past the end."""

    body: bytes
    honour_range: bool = True
    # Announced Content-Length when it differs from the bytes sent; the connection is cut after them.
    content_length: int | None = None
    # Total written in Content-Range instead of len(body).
    range_total: int | None = None
    omit_content_range: bool = False
    # Send this many bytes, then hold until the server is released (a stalled connection).
    stall_after: int | None = None
    # Send this many bytes, then drop the connection.
    disconnect_after: int | None = None
    # Hold before the first byte until this event is set.
    gate: asyncio.Event | None = None
    # Send this many bytes, then wait for this event before the rest.
    split: tuple[int, asyncio.Event] | None = None
    # Chunked transfer encoding: no Content-Length at all.
    chunked: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    async def respond(self, request: web.Request, server: LocalServer) -> web.StreamResponse:
        body, start, status = self.body, 0, 200
        headers = dict(self.headers)
        requested = request.headers.get("Range")
        if requested and self.honour_range:
            start = int(requested.removeprefix("bytes=").split("-")[0])
            if start >= len(body):
                return web.Response(status=416, headers={"Content-Range": f"bytes */{len(body)}"})
            status = 206
            if not self.omit_content_range:
                total = len(body) if self.range_total is None else self.range_total
                headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{total}"
        payload = body[start:]
        response = web.StreamResponse(status=status, headers=headers)
        if self.chunked:
            response.enable_chunked_encoding()
        else:
            response.content_length = len(payload) if self.content_length is None else self.content_length
        await response.prepare(request)
        if request.method == "HEAD":
            return response
        if self.gate is not None:
            await self.gate.wait()
        if self.stall_after is not None:
            await response.write(payload[: self.stall_after])
            await server.released.wait()
            return response
        if self.disconnect_after is not None:
            await response.write(payload[: self.disconnect_after])
            request.transport.close()
            return response
        if self.split is not None:
            cut, event = self.split
            await response.write(payload[:cut])
            server.split_sent.set()
            await event.wait()
            payload = payload[cut:]
        await response.write(payload)
        if self.content_length is not None and self.content_length > len(body[start:]):
            request.transport.close()
            return response
        await response.write_eof()
        return response


@dataclass
class Status:
    """Answer with a bare status code (and headers)."""

    code: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    async def respond(self, request: web.Request, server: LocalServer) -> web.StreamResponse:
        return web.Response(status=self.code, headers=self.headers, body=self.body)


@dataclass
class Redirect:
    location: str
    code: int = 302

    async def respond(self, request: web.Request, server: LocalServer) -> web.StreamResponse:
        return web.Response(status=self.code, headers={"Location": self.location})


Behaviour = Serve | Status | Redirect


class LocalServer:
    """aiohttp's TestServer with scripted routes, a request log and an in-flight counter."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], list[Behaviour]] = {}
        self.requests: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.released = asyncio.Event()
        self.split_sent = asyncio.Event()
        self._arrivals = asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._server = TestServer(app, host="127.0.0.1")

    async def start(self) -> None:
        await self._server.start_server()

    async def stop(self) -> None:
        self.released.set()
        await self._server.close()

    def url(self, path: str) -> str:
        return str(self._server.make_url(path))

    def route(self, path: str, *behaviours: Behaviour, method: str = "GET") -> str:
        self._routes[(method, path)] = list(behaviours)
        return self.url(path)

    def requests_to(self, path: str, method: str = "GET") -> list[Recorded]:
        return [r for r in self.requests if r.path == path and r.method == method]

    def ranges(self, path: str) -> list[str | None]:
        return [r.headers.get("Range") for r in self.requests_to(path)]

    async def wait_for_requests(self, count: int) -> None:
        async with self._arrivals:
            await self._arrivals.wait_for(lambda: len(self.requests) >= count)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(Recorded(request.method, request.path, dict(request.headers)))
        async with self._arrivals:
            self._arrivals.notify_all()
        script = self._routes.get((request.method, request.path))
        if not script:
            return web.Response(status=404)
        behaviour = script.pop(0) if len(script) > 1 else script[0]
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await behaviour.respond(request, self)
        finally:
            self.in_flight -= 1
