"""The streamed DATA decoder agrees with the line-by-line reference over any chunking."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.datastream import DotDecoder, stuff, unstuff_reference

# Bytes that make the interesting cases frequent: CR, LF, dots, and ordinary text.
PIECES = st.lists(
    st.sampled_from([b"\r\n", b".", b"\r", b"\n", b"..", b"\r\n.\r\n", b"a", b"xyz", b".\r"]),
    max_size=40,
).map(b"".join)


def decode_in_chunks(raw: bytes, cuts: list[int]) -> tuple[bytes, bytes] | None:
    decoder = DotDecoder()
    out: list[bytes] = []
    bounds = sorted({c % (len(raw) + 1) for c in cuts} | {0, len(raw)})
    for start, end in itertools.pairwise(bounds):
        payload, rest = decoder.feed(raw[start:end])
        out.append(payload)
        if decoder.done:
            return b"".join(out), rest + raw[end:]
    return None


@settings(max_examples=600, deadline=None)
@given(raw=PIECES, cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12))
def test_matches_reference_over_random_chunkings(raw: bytes, cuts: list[int]) -> None:
    expected = unstuff_reference(raw)
    got = decode_in_chunks(raw, cuts)
    assert got == expected


@settings(max_examples=300, deadline=None)
@given(
    body=st.lists(st.sampled_from([b".", b"..", b"line", b"", b".\r", b"x.y"]), max_size=30),
    tail=st.sampled_from([b"", b"QUIT\r\n", b"MAIL FROM:<a@b.c>\r\n"]),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12),
)
def test_stuffed_message_round_trips(body: list[bytes], tail: bytes, cuts: list[int]) -> None:
    message = b"".join(line + b"\r\n" for line in body)
    got = decode_in_chunks(stuff(message) + tail, cuts)
    assert got == (message, tail)


def test_one_byte_at_a_time() -> None:
    message = b"Subject: x\r\n\r\n.hidden\r\n..\r\n.\r\nend\r\n"
    raw = stuff(message)
    assert decode_in_chunks(raw, list(range(len(raw)))) == (message, b"")


def test_empty_message_and_end_marker_at_start() -> None:
    assert decode_in_chunks(b".\r\nQUIT\r\n", [1, 2]) == (b"", b"QUIT\r\n")


def test_bare_lf_is_not_a_line_end() -> None:
    raw = b"a\n.\r\nb\r\n.\r\n"
    assert decode_in_chunks(raw, [2, 3]) == (b"a\n.\r\nb\r\n", b"")
    assert unstuff_reference(raw) == (b"a\n.\r\nb\r\n", b"")


def test_holds_back_at_most_three_bytes() -> None:
    decoder = DotDecoder()
    payload, _ = decoder.feed(b"x" * 100 + b"\r\n.")
    assert payload == b"x" * 100 + b"\r\n"  # the "." waits: stuffed dot or the end?
    payload, rest = decoder.feed(b"\r\n")
    assert decoder.done and payload == b"" and rest == b""


# Lines with many dots inside them before a dot that starts a line: more than the decoder looks
# past one by one (_DOT_STEPS) and fewer, so both of its searches meet a line-start dot.
DOTTY = st.lists(
    st.sampled_from([b"a.", b"b..", b"x", b"\r\n", b"\r\n.", b"\r\n..", b"."]),
    min_size=1,
    max_size=160,
).map(lambda pieces: b"".join(pieces) + b"\r\n.\r\n")


@settings(max_examples=400, deadline=None)
@given(raw=DOTTY, cuts=st.lists(st.integers(min_value=0, max_value=2_000), max_size=8))
def test_dots_inside_lines_before_a_stuffed_dot(raw: bytes, cuts: list[int]) -> None:
    assert decode_in_chunks(raw, cuts) == unstuff_reference(raw)


def test_many_dots_inside_lines_then_the_end() -> None:
    from ingest.datastream import _DOT_STEPS

    for dots in (_DOT_STEPS - 1, _DOT_STEPS, _DOT_STEPS + 1, 5 * _DOT_STEPS):
        message = b"Subject: " + b"a." * dots + b"\r\n..stuffed\r\n" + b"QUJD" * 50 + b"\r\n"
        raw = message + b".\r\n"
        assert decode_in_chunks(raw, []) == (message.replace(b"\r\n..", b"\r\n."), b"")
