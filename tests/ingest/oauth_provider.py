"""A local stand-in for an OAuth2 provider on 127.0.0.1: device-code and token endpoints
(RFC 8628, RFC 6749) and token introspection (RFC 7662) for Dovecot's oauth2 passdb."""

from __future__ import annotations

import json
import secrets
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Provider:
    username: str
    expires_in: int = 3600
    port: int = 0
    #: access token -> still valid
    access: dict[str, bool] = field(default_factory=dict)
    refresh_tokens: set[str] = field(default_factory=set)
    revoked: set[str] = field(default_factory=set)
    pending_polls: int = 2
    calls: list[str] = field(default_factory=list)
    introspections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def revoke_all(self) -> None:
        with self.lock:
            self.revoked |= self.refresh_tokens
            for token in self.access:
                self.access[token] = False

    def _tokens(self, refresh: str | None = None) -> dict[str, object]:
        access = "at-" + secrets.token_hex(8)
        refresh = refresh or "rt-" + secrets.token_hex(8)
        self.access[access] = True
        self.refresh_tokens.add(refresh)
        return {"access_token": access, "expires_in": self.expires_in, "token_type": "Bearer",
                "refresh_token": refresh}  # fmt: skip

    def answer(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, object]]:
        with self.lock:
            if path == "/device":
                self.calls.append("device")
                return 200, {"device_code": "dc-1", "user_code": "ABCD-EFGH",
                             "verification_uri": self.url("/activate"), "interval": 0,
                             "expires_in": 600}  # fmt: skip
            if path == "/token":
                grant = form.get("grant_type", "")
                self.calls.append(grant)
                if grant.endswith("device_code"):
                    if self.pending_polls > 0:
                        self.pending_polls -= 1
                        return 400, {"error": "authorization_pending"}
                    return 200, self._tokens()
                if grant == "refresh_token":
                    token = form.get("refresh_token", "")
                    if token in self.revoked or token not in self.refresh_tokens:
                        why = "Token has been expired or revoked."
                        return 400, {"error": "invalid_grant", "error_description": why}
                    return 200, self._tokens(token)
                return 400, {"error": "unsupported_grant_type"}
            if path == "/introspect":
                self.introspections += 1
                token = form.get("token", "")
                if self.access.get(token):
                    return 200, {"active": True, "username": self.username}
                return 200, {"active": False}
            return 404, {"error": "not_found"}


@contextmanager
def running_provider(username: str, expires_in: int = 3600) -> Iterator[Provider]:
    provider = Provider(username, expires_in)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            form = dict(urllib.parse.parse_qsl(body))
            auth = self.headers.get("Authorization", "")
            if not form.get("token") and auth.startswith("Bearer "):
                form["token"] = auth[7:]
            status, data = provider.answer(urllib.parse.urlsplit(self.path).path, form)
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
