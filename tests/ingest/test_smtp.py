"""The SMTP receiver with real clients: smtplib, swaks; policy, limits, TLS, timeouts."""

from __future__ import annotations

import asyncio
import email
import os
import select
import shutil
import smtplib
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ingest.envelope import Envelope
from tests.conftest import VECTORS
from tests.ingest.conftest import BRANCH_ADDRESS, RunningReceiver, raw_session, spool_items

SENDER = "taras.test@example.net"


def diia_message() -> bytes:
    """A Diia-like message: a PDF and its P7S (bytes are stand-ins), as Gmail shapes it."""
    from tests.ingest.mailmaker import diia_pair, gmail

    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"
    p7s = b"\x30\x82\x10\x00" + bytes(range(255, -1, -1)) * 16
    return gmail(diia_pair(pdf, p7s))


def only_item(running: RunningReceiver) -> tuple[bytes, Envelope]:
    [item] = spool_items(running.spool)
    assert not any((running.spool.root / "tmp").iterdir())
    return (item / "message").read_bytes(), Envelope.from_json((item / "envelope.json").read_text())


def assert_spool_empty(running: RunningReceiver) -> None:
    for folder in ("tmp", "new", "work"):
        assert not any((running.spool.root / folder).iterdir()), folder


def _to_data(s: socket.socket, f: BinaryIO) -> None:
    """Greeting, HELO, MAIL, RCPT and DATA pipelined: the session is ready for the message."""
    f.readline()
    s.sendall(f"HELO c\r\nMAIL FROM:<{SENDER}>\r\nRCPT TO:<{BRANCH_ADDRESS}>\r\nDATA\r\n".encode())
    assert [f.readline()[:3] for _ in range(4)] == [b"250", b"250", b"250", b"354"]


def test_smtplib_delivery_lands_in_spool_with_envelope(
    receiver: Callable[..., RunningReceiver],
) -> None:
    r = receiver()
    message = diia_message()
    with smtplib.SMTP("127.0.0.1", r.port) as client:
        client.ehlo("client.example.net")
        assert client.has_extn("size") and client.has_extn("8bitmime")
        assert client.has_extn("smtputf8") and client.has_extn("pipelining")
        assert not client.has_extn("auth")
        client.mail(SENDER)
        client.rcpt(BRANCH_ADDRESS.upper())  # receiving addresses compare case-insensitively
        code, reply = client.data(message)
    assert code == 250 and reply.startswith(b"2.0.0 OK queued as ")
    stored, envelope = only_item(r)
    assert stored == message
    assert envelope.mail_from == SENDER and envelope.rcpt_tos == (BRANCH_ADDRESS.upper(),)
    assert (envelope.peer, envelope.source, envelope.helo) == (
        "127.0.0.1",
        "smtp",
        "client.example.net",
    )
    assert reply.decode().endswith(spool_items(r.spool)[0].name)
    assert r.metrics.received == 1 and r.metrics.received_bytes == len(message)


@pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks not installed")
def test_swaks_delivers_pdf_and_p7s(
    receiver: Callable[..., RunningReceiver], tmp_path: Path
) -> None:
    r = receiver()
    pdf, p7s = tmp_path / "Паспорт.pdf", tmp_path / "Паспорт.pdf.p7s"
    pdf.write_bytes(b"%PDF-1.7\n" + b"\x00\xff" * 20000 + b"\n%%EOF\n")
    real_cms = VECTORS / "cms" / "message_detached.p7"  # a real DSTU 4145 CMS signature
    p7s.write_bytes(real_cms.read_bytes() if real_cms.exists() else b"\x30\x82" + b"\x01" * 999)
    out = subprocess.run(
        [
            "swaks",
            "--server",
            "127.0.0.1",
            "--port",
            str(r.port),
            "--from",
            SENDER,
            "--to",
            BRANCH_ADDRESS,
            "--helo",
            "phone.example.net",
            "--pipeline",  # MAIL, RCPT and DATA in one go
            "--attach-type",
            "application/pdf",
            "--attach",
            f"@{pdf}",
            "--attach-type",
            "application/pkcs7-signature",
            "--attach",
            f"@{p7s}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "<-  250 2.0.0 OK queued as" in out.stdout
    stored, envelope = only_item(r)
    parts = {
        part.get_content_type(): part.get_payload(decode=True)
        for part in email.message_from_bytes(stored).walk()
        if part.get_filename()
    }
    assert parts == {
        "application/pdf": pdf.read_bytes(),
        "application/pkcs7-signature": p7s.read_bytes(),
    }
    assert envelope.rcpt_tos == (BRANCH_ADDRESS,) and envelope.helo == "phone.example.net"


def test_unknown_recipient_gets_550_and_nothing_is_left(
    receiver: Callable[..., RunningReceiver],
) -> None:
    r = receiver()
    with smtplib.SMTP("127.0.0.1", r.port) as client:
        client.ehlo("client.example.net")
        client.mail(SENDER)
        code, reply = client.rcpt("someone-else@inbox.example.org")
        assert (code, reply[:5]) == (550, b"5.1.1")
        assert client.rcpt(BRANCH_ADDRESS)[0] == 250
        assert client.data(b"Subject: x\r\n\r\nbody\r\n")[0] == 250
        client.rset()
        client.mail(SENDER)
        client.rcpt("nobody@example.org")
        code, _ = client.docmd("DATA")
        assert code == 503  # no accepted recipient: no DATA
    assert len(spool_items(r.spool)) == 1
    assert r.metrics.rejected["unknown_recipient"] == 2


def test_new_branch_is_accepted_without_restart(receiver: Callable[..., RunningReceiver]) -> None:
    r = receiver()
    with smtplib.SMTP("127.0.0.1", r.port) as client:
        client.ehlo("c.example.net")
        client.mail(SENDER)
        assert client.rcpt("new-branch@inbox.example.org")[0] == 550
        r.addresses.add("new-branch@inbox.example.org")
        assert client.rcpt("New-Branch@Inbox.Example.org")[0] == 250


def test_too_many_recipients_gets_452(receiver: Callable[..., RunningReceiver]) -> None:
    addresses = {f"b{i}@inbox.example.org" for i in range(5)}
    r = receiver(addresses=addresses, max_recipients=3)
    with smtplib.SMTP("127.0.0.1", r.port) as client:
        client.ehlo("c.example.net")
        client.mail(SENDER)
        codes = [client.rcpt(a) for a in sorted(addresses)]
    assert [c for c, _ in codes] == [250, 250, 250, 452, 452]
    assert codes[3][1].startswith(b"4.5.3")


def test_declared_size_over_limit_is_refused_at_mail(
    receiver: Callable[..., RunningReceiver],
) -> None:
    r = receiver(max_message_bytes=10_000)
    with smtplib.SMTP("127.0.0.1", r.port) as client:
        client.ehlo("c.example.net")
        assert client.esmtp_features["size"] == "10000"
        code, reply = client.mail(SENDER, ["SIZE=10001"])
        assert (code, reply[:5]) == (552, b"5.3.4")
        assert client.mail(SENDER, ["SIZE=9999"])[0] == 250
    assert_spool_empty(r)


def test_data_growing_over_limit_is_drained_and_refused(
    receiver: Callable[..., RunningReceiver],
) -> None:
    r = receiver(max_message_bytes=100_000)
    big = b"Subject: big\r\n\r\n" + (b"A" * 998 + b"\r\n") * 1000  # ~1 MB
    with smtplib.SMTP("127.0.0.1", r.port) as client:
        client.ehlo("c.example.net")
        client.mail(SENDER)
        client.rcpt(BRANCH_ADDRESS)
        code, reply = client.data(big)
        assert (code, reply[:5]) == (552, b"5.3.4")
        assert_spool_empty(r)
        # The session goes on: the next message is accepted.
        client.mail(SENDER)
        client.rcpt(BRANCH_ADDRESS)
        assert client.data(b"Subject: small\r\n\r\nok\r\n")[0] == 250
    assert len(spool_items(r.spool)) == 1
    assert r.metrics.rejected["message_too_big"] == 1


def test_dot_stuffed_and_8bit_and_utf8_content_is_stored_exactly(
    receiver: Callable[..., RunningReceiver],
) -> None:
    r = receiver()
    message = (
        "Subject: Копії документів\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n.leading dot\r\n..two\r\n.\r\n"
        "Привіт\r\n"
    ).encode()
    with smtplib.SMTP("127.0.0.1", r.port) as client:
        client.ehlo("c.example.net")
        client.mail("тарас@приклад.укр", ["SMTPUTF8", "BODY=8BITMIME"])
        client.rcpt(BRANCH_ADDRESS)
        assert client.data(message)[0] == 250
    stored, envelope = only_item(r)
    assert stored == message
    assert envelope.mail_from == "тарас@приклад.укр"


def test_pipelined_commands_after_data_are_not_lost(
    receiver: Callable[..., RunningReceiver],
) -> None:
    r = receiver()
    with raw_session(r.port) as (s, f):
        assert f.readline().startswith(b"220")
        s.sendall(b"HELO c.example.net\r\n")
        assert f.readline().startswith(b"250")
        s.sendall(f"MAIL FROM:<{SENDER}>\r\nRCPT TO:<{BRANCH_ADDRESS}>\r\nDATA\r\n".encode())
        assert [f.readline()[:3] for _ in range(3)] == [b"250", b"250", b"354"]
        s.sendall(b"Subject: a\r\n\r\nbody\r\n.\r\nNOOP\r\nQUIT\r\n")
        assert f.readline().startswith(b"250 2.0.0")
        assert f.readline().startswith(b"250")  # NOOP
        assert f.readline().startswith(b"221")
    assert only_item(r)[0] == b"Subject: a\r\n\r\nbody\r\n"


def test_data_streams_without_pausing_the_socket_and_commands_keep_their_limit(
    receiver: Callable[..., RunningReceiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiosmtpd's reader pauses the socket once it holds two command lines; DATA raises that
    to `DATA_BUFFER` while it streams (a 100 KB message is read without one pause, where every
    chunk paused and resumed the socket before) and puts the line limit back for the commands
    after it: an over-long command line is still refused."""
    import asyncio.selector_events as selector_events

    from ingest.smtp_adapter import DATA_BUFFER

    pauses: list[int] = []
    real_pause = selector_events._SelectorTransport.pause_reading

    def pause(transport: selector_events._SelectorTransport) -> None:
        pauses.append(1)
        real_pause(transport)

    monkeypatch.setattr(selector_events._SelectorTransport, "pause_reading", pause)
    r = receiver()
    body = b"Subject: a\r\n\r\n" + b"x" * 78 + b"\r\n"
    message = body * (100_000 // len(body))
    assert 2 * DATA_BUFFER > len(message) > 2 * 1001
    with raw_session(r.port) as (s, f):
        _to_data(s, f)
        s.sendall(message + b".\r\n")
        assert f.readline().startswith(b"250 2.0.0")
        assert pauses == []
        s.sendall(b"NOOP " + b"n" * 1100 + b"\r\n")
        assert f.readline().startswith(b"500")
        s.sendall(b"QUIT\r\n")
        assert f.readline().startswith(b"221")
    assert only_item(r)[0] == message


def test_a_commit_does_not_wait_for_the_loops_busy_default_threads(
    receiver: Callable[..., RunningReceiver],
) -> None:
    """In `serve` the worker's steps and IMAP sessions hold the loop's default threads for
    seconds at a time; the receiver's spool calls run on threads of its own, so a message is
    still accepted while every default thread is taken."""
    import threading

    r = receiver()
    release = threading.Event()
    blockers = min(32, (os.cpu_count() or 1) + 4)  # the default executor's size

    def occupy() -> None:
        for _ in range(blockers):
            r.loop.run_in_executor(None, release.wait)

    r.loop.call_soon_threadsafe(occupy)
    try:
        with smtplib.SMTP("127.0.0.1", r.port, timeout=30) as client:
            client.ehlo("client.example.net")
            client.mail(SENDER)
            client.rcpt(BRANCH_ADDRESS)
            code, _ = client.data(b"Subject: a\r\n\r\nbody\r\n")
        assert code == 250
        assert not release.is_set()
    finally:
        release.set()
    assert only_item(r)[0] == b"Subject: a\r\n\r\nbody\r\n"


def test_client_disconnecting_mid_data_leaves_nothing(
    receiver: Callable[..., RunningReceiver],
) -> None:
    r = receiver()
    with raw_session(r.port) as (s, f):
        _to_data(s, f)
        s.sendall(b"Subject: a\r\n\r\n" + b"x" * 100_000)
        # Make sure the receiver has started writing before the client vanishes.
        assert _wait_for(lambda: any((r.spool.root / "tmp").iterdir()))
    assert _wait_for(lambda: not any((r.spool.root / "tmp").iterdir()))
    assert_spool_empty(r)


def test_client_vanishing_while_its_message_file_is_made_leaves_nothing(
    receiver: Callable[..., RunningReceiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 354 goes out while the spool's file is still being made on another thread; a client
    that leaves at that moment ends the session before it takes the file, which is removed
    once it exists."""
    import threading
    import time

    from ingest.spool import Spool

    r = receiver()
    made = threading.Event()
    real_open = Spool.open_writer

    def slow_open(spool: Spool) -> object:
        time.sleep(0.5)  # the client is gone before the file exists
        writer = real_open(spool)
        made.set()
        return writer

    monkeypatch.setattr(Spool, "open_writer", slow_open)
    with raw_session(r.port) as (s, f):
        _to_data(s, f)
    assert made.wait(10)
    assert _wait_for(lambda: not any((r.spool.root / "tmp").iterdir()))
    assert_spool_empty(r)


def test_a_spool_that_cannot_make_the_file_refuses_after_data(
    receiver: Callable[..., RunningReceiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 354 came before the spool's answer: when it cannot make the message's file the data
    is read to its end and refused with 451 (try again later), and the session goes on."""
    from ingest.spool import Spool, SpoolError

    r = receiver()

    def refuse(spool: Spool) -> object:
        raise SpoolError("cannot create a spool file: No space left on device")

    monkeypatch.setattr(Spool, "open_writer", refuse)
    with raw_session(r.port) as (s, f):
        _to_data(s, f)
        s.sendall(b"Subject: a\r\n\r\n" + b"x" * 200_000 + b"\r\n.\r\nNOOP\r\n")
        assert f.readline().startswith(b"451 4.3.0")
        assert f.readline().startswith(b"250")  # the NOOP: the session goes on
    assert_spool_empty(r)
    assert r.metrics.received == 0


def test_connection_limit_answers_421(receiver: Callable[..., RunningReceiver]) -> None:
    r = receiver(max_connections=2)
    first = smtplib.SMTP("127.0.0.1", r.port)
    second = smtplib.SMTP("127.0.0.1", r.port)
    with raw_session(r.port) as (_s, f):
        assert f.readline().startswith(b"421 4.7.0")
    first.quit()
    assert _wait_for(lambda: r.metrics.rejected["connection_limit"] == 1)
    # A place became free: a new client is served.
    assert _wait_for(lambda: _greeting(r.port).startswith(b"220"))
    second.quit()


def test_idle_client_is_disconnected(receiver: Callable[..., RunningReceiver]) -> None:
    r = receiver(idle_timeout=0.3)
    with raw_session(r.port) as (_s, f):
        assert f.readline().startswith(b"220")
        assert f.readline().startswith(b"421 4.4.2")  # we said nothing: the server gave up
        assert f.readline() == b""


def test_slow_data_is_cut_at_the_data_deadline(receiver: Callable[..., RunningReceiver]) -> None:
    r = receiver(idle_timeout=30, data_timeout=0.5)
    with raw_session(r.port) as (s, f):
        _to_data(s, f)
        s.sendall(b"Subject: slow\r\n\r\n")
        # Trickle bytes, never finishing: only the DATA deadline can end this.
        while not select.select([s], [], [], 0.05)[0]:
            try:
                s.sendall(b"x")
            except OSError:
                break
        reply = f.readline()
    assert reply.startswith(b"421 4.4.2") or reply == b""
    assert _wait_for(lambda: not any((r.spool.root / "tmp").iterdir()))
    assert_spool_empty(r)


def test_starttls_delivery_and_required_tls(
    receiver: Callable[..., RunningReceiver],
    tls_files: tuple[Path, Path],
) -> None:
    cert, key = tls_files
    r = receiver(tls_cert=str(cert), tls_key=str(key), require_tls=True)
    with smtplib.SMTP("127.0.0.1", r.port) as client:
        client.ehlo("c.example.net")
        assert client.has_extn("starttls")
        code, reply = client.mail(SENDER)
        assert (code, reply[:5]) == (530, b"5.7.0")
    context = ssl.create_default_context(cafile=str(cert))
    with smtplib.SMTP("127.0.0.1", r.port, local_hostname="c.example.net") as client:
        client.starttls(context=context)
        client.ehlo("c.example.net")
        assert not client.has_extn("starttls")
        client.mail(SENDER)
        client.rcpt(BRANCH_ADDRESS)
        assert client.data(b"Subject: tls\r\n\r\nsecret\r\n")[0] == 250
    assert only_item(r)[0] == b"Subject: tls\r\n\r\nsecret\r\n"
    assert r.metrics.rejected["tls_required"] == 1


def test_required_tls_refuses_all_but_noop_ehlo_starttls_quit(
    receiver: Callable[..., RunningReceiver],
    tls_files: tuple[Path, Path],
) -> None:
    """RFC 3207 section 4 (aiosmtpd's `require_starttls`), with our enhanced status code."""
    cert, key = tls_files
    r = receiver(tls_cert=str(cert), tls_key=str(key), require_tls=True)
    with raw_session(r.port) as (s, f):
        assert f.readline().startswith(b"220")
        s.sendall(b"EHLO c.example.net\r\n")
        while not (line := f.readline()).startswith(b"250 "):
            assert line.startswith(b"250-")
        for command, reply in [
            (b"NOOP", b"250 "),
            (b"HELO c.example.net", b"530 5.7.0 "),
            (b"RSET", b"530 5.7.0 "),
            (f"RCPT TO:<{BRANCH_ADDRESS}>".encode(), b"530 5.7.0 "),
            (b"DATA", b"530 5.7.0 "),
            (b"QUIT", b"221 "),
        ]:
            s.sendall(command + b"\r\n")
            assert f.readline().startswith(reply), command
    assert r.metrics.rejected["tls_required"] == 4
    assert not spool_items(r.spool)


@pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks not installed")
def test_swaks_tls(receiver: Callable[..., RunningReceiver], tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files
    r = receiver(tls_cert=str(cert), tls_key=str(key), require_tls=True)
    base = [
        "swaks",
        "--server",
        "127.0.0.1",
        "--port",
        str(r.port),
        "--from",
        SENDER,
        "--to",
        BRANCH_ADDRESS,
        "--body",
        "Diia copy",
    ]
    plain = subprocess.run(base, capture_output=True, text=True, timeout=60)
    assert plain.returncode != 0 and "530 5.7.0" in plain.stdout
    tls = subprocess.run([*base, "--tls"], capture_output=True, text=True, timeout=60)
    assert tls.returncode == 0, tls.stdout + tls.stderr
    assert "TLS started" in tls.stdout and "250 2.0.0 OK queued as" in tls.stdout
    assert b"Diia copy" in only_item(r)[0]


def test_metrics_render(receiver: Callable[..., RunningReceiver]) -> None:
    r = receiver()
    with smtplib.SMTP("127.0.0.1", r.port) as client:
        client.sendmail(SENDER, [BRANCH_ADDRESS], b"Subject: m\r\n\r\nm\r\n")
    text = r.metrics.render_prometheus()
    # Read back with Prometheus's own text-format parser, as a scraper would.
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("diia_inbox_messages_received_total", ())] == 1
    assert samples[("diia_inbox_messages_rejected_total", (("reason", "unknown_recipient"),))] == 0
    assert samples[("diia_inbox_queue_depth", ())] == 1


def _greeting(port: int) -> bytes:
    with raw_session(port) as (s, f):
        line = f.readline()
        s.sendall(b"QUIT\r\n")
        return line


def _wait_for(condition: Callable[[], bool], seconds: float = 30) -> bool:
    """Poll for an event; the limit is a safety net for a hung test, not a measured time."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def _open_data(s: socket.socket, f: BinaryIO) -> None:
    assert f.readline().startswith(b"220")
    s.sendall(f"HELO c\r\nMAIL FROM:<{SENDER}>\r\nRCPT TO:<{BRANCH_ADDRESS}>\r\nDATA\r\n".encode())
    assert [f.readline()[:3] for _ in range(4)] == [b"250", b"250", b"250", b"354"]


def test_stop_lets_data_in_flight_finish(receiver: Callable[..., RunningReceiver]) -> None:
    r = receiver()
    with raw_session(r.port) as (_idle, idle_f), raw_session(r.port) as (busy, busy_f):
        assert idle_f.readline().startswith(b"220")
        _open_data(busy, busy_f)
        busy.sendall(b"Subject: in flight\r\n\r\nfirst half\r\n")
        assert _wait_for(lambda: any((r.spool.root / "tmp").iterdir()))
        stopping = asyncio.run_coroutine_threadsafe(r.component.stop(), r.loop)
        assert idle_f.readline().startswith(b"421 4.3.2")  # idle sessions go at once
        busy.sendall(b"second half\r\n.\r\n")
        assert busy_f.readline().startswith(b"250 2.0.0")
        assert busy_f.readline() in (b"", b"421 4.3.2 Service shutting down, try again later\r\n")
        stopping.result(30)
    assert only_item(r)[0] == b"Subject: in flight\r\n\r\nfirst half\r\nsecond half\r\n"


def test_stop_cuts_unfinished_data_after_drain_timeout(
    receiver: Callable[..., RunningReceiver],
) -> None:
    r = receiver(drain_timeout=0.2)
    with raw_session(r.port) as (busy, busy_f):
        _open_data(busy, busy_f)
        busy.sendall(b"Subject: never finished\r\n\r\n" + b"x" * 10_000)
        assert _wait_for(lambda: any((r.spool.root / "tmp").iterdir()))
        r.call(r.component.stop())
        assert busy_f.readline() == b""
    assert_spool_empty(r)


def test_on_spooled_is_called_after_each_commit(receiver: Callable[..., RunningReceiver]) -> None:
    r = receiver()
    calls: list[int] = []
    r.component.on_spooled = lambda: calls.append(len(spool_items(r.spool)))
    with smtplib.SMTP("127.0.0.1", r.port) as client:
        client.sendmail(SENDER, [BRANCH_ADDRESS], b"Subject: 1\r\n\r\n1\r\n")
        client.sendmail(SENDER, [BRANCH_ADDRESS], b"Subject: 2\r\n\r\n2\r\n")
    assert calls == [1, 2]  # each time the message was already in new/


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB file system (tmpfs), to run out of space for real; needs root."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


def test_disk_full_gets_452_and_leaves_nothing(
    receiver: Callable[..., RunningReceiver], small_disk: Path
) -> None:
    r = receiver(spool_root=small_disk / "spool")
    big = b"Subject: big\r\n\r\n" + (b"B" * 998 + b"\r\n") * 2000  # 2 MB > 1 MiB disk
    with smtplib.SMTP("127.0.0.1", r.port) as client:
        client.ehlo("c.example.net")
        client.mail(SENDER)
        client.rcpt(BRANCH_ADDRESS)
        code, reply = client.data(big)
        assert (code, reply[:5]) == (452, b"4.3.1")
        assert_spool_empty(r)
        client.mail(SENDER)
        client.rcpt(BRANCH_ADDRESS)
        assert client.data(b"Subject: small\r\n\r\nfits\r\n")[0] == 250
    assert r.metrics.rejected["spool_error"] == 1
