"""OAuth2 for IMAP (Google, Microsoft 365): the device-code sign-in, refresh before expiry, and
the SASL XOAUTH2 / OAUTHBEARER strings.

Plain HTTP form posts over urllib (RFC 8628 device flow, RFC 6749 refresh): two endpoints, no
SDK needed. The refresh token is the mailbox's stored secret (encrypted like a password); the
short-lived access token lives only in memory and is refreshed when less than REFRESH_MARGIN
seconds remain. A refresh answered `invalid_grant` means the user or an administrator revoked
access: `OAuthError("OAUTH_REVOKED")`, which the reader shows and backs off on, instead of
retrying in a loop.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from ingest.settings import IngestSettings

REFRESH_MARGIN = 300.0
HTTP_TIMEOUT = 30.0


@dataclass(frozen=True)
class OAuthClient:
    provider: str
    client_id: str
    client_secret: str
    device_url: str
    token_url: str
    scope: str


#: The providers' public endpoints and the IMAP scopes (client ids come from configuration).
ENDPOINTS: dict[str, tuple[str, str, str]] = {
    "google": (
        "https://oauth2.googleapis.com/device/code",
        "https://oauth2.googleapis.com/token",
        "https://mail.google.com/",
    ),
    "microsoft": (
        "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode",
        "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
        "https://outlook.office.com/IMAP.AccessAsUser.All offline_access",
    ),
}


class OAuthError(Exception):
    """`reason` is a stable code; `detail` the provider's own error text (shown, not logged)."""

    reason = "OAUTH_ERROR"

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_at: float
    refresh_token: str = ""


Post = Callable[[str, dict[str, str]], dict[str, object]]


def http_post(url: str, form: dict[str, str]) -> dict[str, object]:
    """POST a form, return the JSON answer (also of a 4xx: OAuth errors come that way)."""
    body = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=body, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raw = exc.read()
    except (OSError, ValueError) as exc:
        raise OAuthError("OAUTH_UNREACHABLE", type(exc).__name__) from None
    try:
        data = json.loads(raw)
    except ValueError:
        raise OAuthError("OAUTH_BAD_ANSWER") from None
    if not isinstance(data, dict):
        raise OAuthError("OAUTH_BAD_ANSWER")
    return data


def _token(data: dict[str, object], now: float) -> Token:
    access = data.get("access_token")
    if not isinstance(access, str) or not access:
        error = str(data.get("error", ""))
        detail = str(data.get("error_description", error))
        if error == "invalid_grant":
            raise OAuthError("OAUTH_REVOKED", detail)
        raise OAuthError("OAUTH_REFUSED", detail)
    expires = data.get("expires_in", 3600)
    seconds = float(expires) if isinstance(expires, int | float | str) else 3600.0
    refresh = data.get("refresh_token")
    return Token(access, now + seconds, refresh if isinstance(refresh, str) else "")


def refresh(
    client: OAuthClient, refresh_token: str, post: Post = http_post, now: float | None = None
) -> Token:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": client.client_id,
    }
    if client.client_secret:
        form["client_secret"] = client.client_secret
    return _token(post(client.token_url, form), time.time() if now is None else now)


@dataclass(frozen=True)
class DeviceCode:
    device_code: str
    user_code: str
    verification_uri: str
    interval: float
    expires_at: float


def start_device_flow(client: OAuthClient, post: Post = http_post) -> DeviceCode:
    data = post(client.device_url, {"client_id": client.client_id, "scope": client.scope})
    code, user_code = data.get("device_code"), data.get("user_code")
    uri = data.get("verification_uri") or data.get("verification_url")
    if not (isinstance(code, str) and isinstance(user_code, str) and isinstance(uri, str)):
        raise OAuthError("OAUTH_REFUSED", str(data.get("error_description", data.get("error", ""))))
    interval = data.get("interval", 5)
    expires = data.get("expires_in", 900)
    return DeviceCode(
        code,
        user_code,
        uri,
        float(interval) if isinstance(interval, int | float) else 5.0,
        time.time() + (float(expires) if isinstance(expires, int | float) else 900.0),
    )


def finish_device_flow(
    client: OAuthClient,
    device: DeviceCode,
    post: Post = http_post,
    sleep: Callable[[float], None] = time.sleep,
) -> Token:
    """Poll the token endpoint until the user approved (RFC 8628 §3.4-3.5)."""
    interval = device.interval
    while time.time() < device.expires_at:
        form = {
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": device.device_code,
            "client_id": client.client_id,
        }
        if client.client_secret:
            form["client_secret"] = client.client_secret
        data = post(client.token_url, form)
        error = data.get("error")
        if error == "authorization_pending":
            sleep(interval)
            continue
        if error == "slow_down":
            interval += 5
            sleep(interval)
            continue
        token = _token(data, time.time())
        if not token.refresh_token:
            raise OAuthError("OAUTH_NO_REFRESH_TOKEN")
        return token
    raise OAuthError("OAUTH_EXPIRED", "the code was not approved in time")


class TokenSource:
    """An access token for one mailbox, refreshed before it expires (thread-safe).

    `on_rotated` receives a new refresh token when the provider issues one (Microsoft rotates
    them), so the stored secret follows.
    """

    def __init__(
        self,
        client: OAuthClient,
        refresh_token: str,
        *,
        post: Post = http_post,
        clock: Callable[[], float] = time.time,
        on_rotated: Callable[[str], None] = lambda _t: None,
    ) -> None:
        self.client = client
        self.refresh_token = refresh_token
        self.post = post
        self.clock = clock
        self.on_rotated = on_rotated
        self._token: Token | None = None
        self._lock = threading.Lock()
        self.refreshes = 0

    def access_token(self, fresh: bool = False) -> str:
        """The cached token while it has REFRESH_MARGIN left; `fresh`: refresh regardless (the
        server refused the cached one, e.g. after the user revoked access)."""
        with self._lock:
            token = self._token
            if fresh or token is None or token.expires_at - self.clock() < REFRESH_MARGIN:
                token = refresh(self.client, self.refresh_token, self.post, self.clock())
                self.refreshes += 1
                if token.refresh_token and token.refresh_token != self.refresh_token:
                    self.refresh_token = token.refresh_token
                    self.on_rotated(token.refresh_token)
                self._token = token
            return token.access_token


def xoauth2(user: str, access_token: str) -> bytes:
    """SASL XOAUTH2 initial response (Google's and Microsoft's IMAP)."""
    return f"user={user}\x01auth=Bearer {access_token}\x01\x01".encode()


def oauthbearer(user: str, access_token: str, host: str, port: int) -> bytes:
    """SASL OAUTHBEARER initial response (RFC 7628)."""
    return (
        f"n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {access_token}\x01\x01".encode()
    )


def client_for(settings: IngestSettings, provider: str) -> OAuthClient:
    """The configured OAuth2 client of `provider` ("google" or "microsoft")."""
    if provider not in ENDPOINTS:
        raise OAuthError("OAUTH_UNKNOWN_PROVIDER", provider)
    device, token, scope = ENDPOINTS[provider]
    if provider == "google":
        cid, secret = settings.oauth_google_client_id, settings.oauth_google_client_secret
    else:
        cid, secret = settings.oauth_microsoft_client_id, settings.oauth_microsoft_client_secret
        tenant = settings.oauth_microsoft_tenant or "organizations"
        device, token = device.format(tenant=tenant), token.format(tenant=tenant)
    return OAuthClient(
        provider=provider,
        client_id=cid,
        client_secret=secret,
        device_url=settings.oauth_device_url or device,
        token_url=settings.oauth_token_url or token,
        scope=scope,
    )
