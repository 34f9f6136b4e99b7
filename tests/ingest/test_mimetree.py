"""The lean MIME parse (`ingest.parcels.mimetree`) gives the standard parser's tree, part for part.

Every comparison is against `email.message_from_bytes` with the same policy: headers as they
came, the raw body of every leaf, preambles, epilogues, defects, in tree order.
"""

from __future__ import annotations

import base64
import email
from email.message import Message
from typing import Any

import pytest

from ingest.parcels import mimetree
from ingest.parcels.headers import POLICY
from ingest.parcels.mimetree import MIN_RUN, read_message
from tests.ingest.clientcorpus import material, shapes
from tests.ingest.corpus import CASES, Material


def tree(msg: Message) -> list[Any]:
    """Everything the walk reads of a tree, in order."""
    out: list[Any] = []
    stack = [msg]
    while stack:
        part = stack.pop()
        payload: object = getattr(part, "_payload", None)
        out.append(
            (
                list(part.raw_items()),
                payload if isinstance(payload, str) else None,
                part.preamble,
                part.epilogue,
                [type(d).__name__ for d in part.defects],
                part.get_unixfrom(),
            )
        )
        if isinstance(payload, list):
            stack.extend(reversed(payload))
    return out


def standard(raw: bytes) -> list[Any]:
    return tree(email.message_from_bytes(raw, policy=POLICY))


BIG = base64.encodebytes(bytes(range(256)) * 40).replace(b"\n", b"\r\n")  # ~14 KB, 76-col lines
assert len(BIG) > MIN_RUN


def _mixed(*parts: bytes, preamble: bytes = b"", epilogue: bytes = b"") -> bytes:
    head = b"From: a@b.example\r\nSubject: s\r\n"
    head += b'Content-Type: multipart/mixed; boundary="zz"\r\n\r\n'
    body = preamble + b"".join(b"--zz\r\n" + p + b"\r\n" for p in parts) + b"--zz--\r\n"
    return head + body + epilogue


def _leaf(body: bytes, name: str = "a.pdf") -> bytes:
    return (
        f'Content-Type: application/pdf; name="{name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    ).encode() + body


EDGE_CASES = {
    "plain": _mixed(_leaf(BIG), _leaf(BIG, "b.p7s")),
    "lf-line-ends": _mixed(_leaf(BIG.replace(b"\r\n", b"\n"))).replace(b"\r\n", b"\n"),
    "mixed-line-ends": _mixed(_leaf(BIG[:5000] + BIG[5000:].replace(b"\r", b""))),
    "bare-cr-in-run": _mixed(_leaf(BIG.replace(b"\r\n", b"\r", 30))),
    "no-blank-line-after-headers": _mixed(b"Content-Type: application/pdf\r\n" + BIG),
    "run-in-preamble-and-epilogue": _mixed(_leaf(BIG), preamble=BIG, epilogue=BIG),
    "no-closing-boundary": _mixed(_leaf(BIG)).rsplit(b"--zz--", 1)[0],
    "body-without-final-line-end": b"Content-Type: application/pdf\r\n\r\n" + BIG.rstrip(),
    "top-level-body": b"Subject: x\r\nContent-Transfer-Encoding: base64\r\n\r\n" + BIG,
    "no-headers": b"\r\n" + BIG,
    "only-base64": BIG,
    "short-run": _mixed(_leaf(BIG[:200])),
    "boundary-lookalike-inside": _mixed(_leaf(BIG + b"--zz\r\n" + BIG)),
    "rfc822-inside": _mixed(
        b"Content-Type: message/rfc822\r\n\r\n" + _mixed(_leaf(BIG)).replace(b"zz", b"yy")
    ),
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_shapes_give_the_standard_tree(name: str) -> None:
    raw = EDGE_CASES[name]
    assert tree(read_message(raw)) == standard(raw)


def test_a_large_body_is_not_fed_line_by_line() -> None:
    """The placeholder really stands in for the run: the parser sees far fewer bytes."""
    seen: list[int] = []
    original = mimetree._full

    def spy(raw: bytes) -> Message:
        seen.append(len(raw))
        return original(raw)

    mimetree._full = spy  # type: ignore[assignment]
    try:
        read_message(EDGE_CASES["plain"])
    finally:
        mimetree._full = original  # type: ignore[assignment]
    assert seen and seen[0] < len(BIG)


def test_short_runs_are_parsed_as_they_are() -> None:
    """Below MIN_RUN nothing is held back: the one parse is of the message itself."""
    seen: list[bytes] = []
    original = mimetree._full

    def spy(raw: bytes) -> Message:
        seen.append(raw)
        return original(raw)

    mimetree._full = spy  # type: ignore[assignment]
    try:
        read_message(EDGE_CASES["short-run"])
    finally:
        mimetree._full = original  # type: ignore[assignment]
    assert seen == [EDGE_CASES["short-run"]]


def test_a_message_holding_the_placeholder_tag_is_parsed_the_slow_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A message that already contains the random tag (a collision) must not be mangled."""
    monkeypatch.setattr(mimetree.secrets, "token_hex", lambda n: "AB" * n)
    tag = b"Q" + b"AB" * 12
    raw = _mixed(_leaf(BIG), _leaf(tag + b"N0Z\r\n" + BIG, "b.pdf"))
    assert tree(read_message(raw)) == standard(raw)


def test_a_placeholder_in_a_header_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should a run ever reach a header, the result is still the standard tree, not a header
    holding a placeholder (forced here by a restore that finds it in a header)."""
    real_restore = mimetree._restore
    calls: list[bool] = []

    def header_hit(msg: Message, tag: str, runs: list[str]) -> bool:
        msg["X-Test"] = tag + "N0Z"
        calls.append(real_restore(msg, tag, runs))
        return calls[-1]

    monkeypatch.setattr(mimetree, "_restore", header_hit)
    raw = EDGE_CASES["plain"]
    assert tree(read_message(raw)) == standard(raw)
    assert calls == [False]


def test_the_hostile_corpus_gives_the_standard_tree(ecdsa_material: Any) -> None:
    m = ecdsa_material
    corpus = Material(m.pdf, m.p7s, m.other_pdf, m.attached_p7s)
    held = 0
    for case in CASES:
        raw = case.build(corpus)
        try:
            expected = standard(raw)
        except RecursionError:
            with pytest.raises(RecursionError):
                read_message(raw)
            continue
        assert tree(read_message(raw)) == expected, case.name
        held += any(len(run.group()) >= MIN_RUN for run in mimetree._RUN.finditer(raw))
    assert held  # the corpus did exercise the shortcut


@pytest.mark.parametrize("flavour", ["ecdsa", "dstu"])
def test_the_client_corpus_gives_the_standard_tree(flavour: str) -> None:
    m = material(flavour)
    for shape in shapes(flavour):
        for reverse in (False, True):
            raw = shape.build(m, reverse)
            assert tree(read_message(raw)) == standard(raw), shape.name


def test_text_shaped_like_another_placeholder_is_left_as_it_is() -> None:
    lookalike = b"Q" + b"0" * 24 + b"N0Z"
    raw = _mixed(_leaf(BIG), _leaf(lookalike + b"\r\n" + BIG + b"\r\n" + lookalike, "b.pdf"))
    assert tree(read_message(raw)) == standard(raw)
