"""A local stand-in for the GitHub REST endpoints the gate uses, on 127.0.0.1 in a thread.

Issue comments: list (paginated with a Link header), create, update; injectable error responses.
Every request is recorded (method, path, query, headers, JSON body) for the tests to assert on.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Canned:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class FakeGitHub:
    """State of the fake: comments by (repo, issue number), recorded requests, queued failures."""

    def __init__(self, token: str = "ghs_test_token_123") -> None:
        self.token = token
        self.comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.requests: list[Recorded] = []
        self.failures: list[Canned] = []  # served in order before normal handling resumes
        self._next_id = 1000
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeGitHub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def add_comment(self, repo: str, number: int, body: str, user: str = "someone") -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            comment = {
                "id": self._next_id,
                "body": body,
                "user": {"login": user},
                "html_url": f"https://github.example/{repo}/pull/{number}#issuecomment-{self._next_id}",
            }
            self.comments.setdefault((repo, number), []).append(comment)
            return comment

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _reply(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                fake.requests.append(
                    Recorded(
                        self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()), body
                    )
                )
                if fake.failures:
                    canned = fake.failures.pop(0)
                    self._reply(canned.status, canned.body, canned.headers)
                    return
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    self._reply(401, {"message": "Bad credentials"})
                    return
                segments = parts.path.strip("/").split("/")
                # /repos/{owner}/{name}/issues/{number}/comments
                if (
                    len(segments) == 6
                    and segments[0] == "repos"
                    and segments[3] == "issues"
                    and segments[4].isdigit()
                ):
                    repo, number = f"{segments[1]}/{segments[2]}", int(segments[4])
                    if segments[5] != "comments":
                        self._reply(404, {"message": "Not Found"})
                    elif self.command == "GET":
                        self._list(repo, number, parse_qs(parts.query))
                    elif self.command == "POST":
                        if not isinstance(body, dict) or not isinstance(body.get("body"), str):
                            self._reply(422, {"message": "Validation Failed", "errors": ["body is missing"]})
                            return
                        self._reply(
                            201, fake.add_comment(repo, number, body["body"], user="github-actions[bot]")
                        )
                    else:
                        self._reply(405, {"message": "Method Not Allowed"})
                    return
                # /repos/{owner}/{name}/issues/comments/{id}
                if len(segments) == 6 and segments[3:5] == ["issues", "comments"] and self.command == "PATCH":
                    comment_id = int(segments[5])
                    repo = f"{segments[1]}/{segments[2]}"
                    for (owner, _), comments in fake.comments.items():
                        for comment in comments if owner == repo else []:
                            if comment["id"] != comment_id:
                                continue
                            comment["body"] = body["body"]
                            self._reply(200, comment)
                            return
                self._reply(404, {"message": "Not Found"})

            def _list(self, repo: str, number: int, query: dict[str, list[str]]) -> None:
                per_page = int(query.get("per_page", ["30"])[0])
                page = int(query.get("page", ["1"])[0])
                items = fake.comments.get((repo, number), [])
                chunk = items[(page - 1) * per_page : page * per_page]
                headers = {}
                if page * per_page < len(items):
                    base = f"{fake.url}/repos/{repo}/issues/{number}/comments"
                    headers["Link"] = (
                        f'<{base}?per_page={per_page}&page={page + 1}>; rel="next", '
                        f'<{base}?per_page={per_page}&page={-(-len(items) // per_page)}>; rel="last"'
                    )
                self._reply(200, chunk, headers)

            do_GET = do_POST = do_PATCH = _handle

        return Handler
