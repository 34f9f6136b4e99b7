"""The server-side TLS context for STARTTLS, built from the configured certificate and key."""

from __future__ import annotations

import ssl


class TlsConfigError(Exception):
    """The certificate or key cannot be loaded; the message says which file and why."""

    reason = "TLS_CONFIG_INVALID"


def server_context(cert_file: str, key_file: str = "") -> ssl.SSLContext:
    """A context for STARTTLS. Client certificates are not asked for: senders are anonymous."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert_file, key_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(f"cannot load TLS certificate {cert_file}: {exc}") from exc
    return context
