"""MAIL FROM and RCPT TO paths: the adapter's fast parse of the plain form gives exactly what
aiosmtpd's own `_getaddr` (the email package's header parser) gives, on the forms real clients
send and on arbitrary text over the characters that matter to the grammar; anything the fast
form does not cover is left to aiosmtpd."""

from __future__ import annotations

import pytest
from aiosmtpd.smtp import SMTP
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ingest.smtp_adapter import _PLAIN_PATH, _Session


class _Handler:
    pass


def _parsers(limit: int) -> tuple[SMTP, _Session]:
    """aiosmtpd's SMTP and the adapter's session, without a connection: `_getaddr` reads only
    `local_part_limit`."""
    theirs = SMTP.__new__(SMTP)
    ours = _Session.__new__(_Session)
    theirs.local_part_limit = ours.local_part_limit = limit
    return theirs, ours


REAL = [
    "<bench@example.net>",
    "<diia@example.gov.ua> SIZE=312345 BODY=8BITMIME",
    "<noreply@diia.gov.ua> BODY=8BITMIME SMTPUTF8",
    "<hotel.kyiv+front-desk@example.com.ua>",
    "<O'Brien@Example.COM>",
    "<a!#$%&'*+/=?^_`{|}~-z@x-y.example>",
    "<user@example.com>  SIZE=1",
    "<user@example.com>\tSIZE=1",
    "<user@example.com>SIZE=1",
    "<user@example.com> (a comment) SIZE=1",
    "<user@example.com> >",
    "<>",
    "< user@example.com >",
    '<"quoted local"@example.com>',
    "<@relay.example:user@example.com>",
    "<user@[192.0.2.1]>",
    "<user@example.com.>",
    "<.user@example.com>",
    "<us..er@example.com>",
    "<реєстратура@приклад.укр>",
    "user@example.com",
    "<user@example.com",
    "<user example.com>",
    "",
]


def _outcome(parser: SMTP, arg: str) -> object:
    """What `_getaddr` returns, or the type of what it raises (aiosmtpd's parser raises on
    some malformed paths, which aiosmtpd's command loop answers as an error)."""
    try:
        return parser._getaddr(arg)
    except Exception as exc:  # the outcome compared, whatever it is
        return type(exc)


@pytest.mark.parametrize("limit", [0, 64, 4])
@pytest.mark.parametrize("arg", REAL)
def test_the_forms_clients_send(arg: str, limit: int) -> None:
    theirs, ours = _parsers(limit)
    assert _outcome(ours, arg) == _outcome(theirs, arg)


def test_the_fast_form_is_what_real_clients_send() -> None:
    """Not a tautology: the fast path must take the common paths, or it saves nothing."""
    for arg in REAL[:11]:
        assert _PLAIN_PATH.match(arg), arg


_GRAMMAR = st.text(alphabet="<>@.:;,()[]\"\\ \tab.-+=_'!~é", max_size=40)
_PLAINISH = st.builds(
    lambda local, domain, rest: f"<{local}@{domain}>{rest}",
    st.text(alphabet="abcXYZ09.!#$%&'*+/=?^_`{|}~-\"é ", min_size=1, max_size=12),
    st.text(alphabet="abc09.-[]é", min_size=1, max_size=12),
    st.text(alphabet=' \t()SIZE=10<>@"', max_size=12),
)


@settings(max_examples=600, deadline=None)
@given(arg=st.one_of(_GRAMMAR, _PLAINISH), limit=st.sampled_from([0, 3, 64]))
@example(arg="<a@b> (c)", limit=0)
@example(arg="<a@b>\x0bSIZE=1", limit=0)
@example(arg="<abcd@b>", limit=3)
def test_any_argument_parses_as_aiosmtpd_parses_it(arg: str, limit: int) -> None:
    theirs, ours = _parsers(limit)
    assert _outcome(ours, arg) == _outcome(theirs, arg)
