"""Golden reports: `validate` gives exactly the recorded report for ~200 chosen inputs.

Why: `verify/validate.py` runs the ETSI EN 319 102-1 steps of `verify/steps.py`; restructuring
them must not change one check, code or message. The inputs are the repository's DSTU vectors
and the fixture PKIs' CAdES signatures (`tests/support/pki.py`, deterministic for a seed) under
contexts with fixed clocks, plus one-bit tampered twins. They were chosen from a sweep of
20,721 cases (the cases `all_cases` names: 42 contexts, and one bit of every byte of five
signatures flipped) as the first input of each distinct report shape (indication,
sub-indication, check names and statuses, codes, policy), and recorded with `validate` as it
was before the restructuring (`validate_golden.json`). Revocation data and several signers are
not among them: tests/verify/test_path.py and test_cms_vectors.py cover those.

After an intended change of wording or behaviour, regenerate the file and review its diff:
``.venv/bin/python -m tests.verify.test_validate_golden``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.pdf import make_diia_copy_pdf
from tests.support.pki import TestPKI, issue_person, make_pki, sign_cades, tamper
from verify.certs import Certificate
from verify.policy import DIIA_SEAL, IdentityRule, SignerPolicy
from verify.trust import TrustStore
from verify.validate import ValidationContext, validate

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
GOLDEN = Path(__file__).with_name("validate_golden.json")
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
VECTOR_CLOCK = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)

Case = tuple[bytes, bytes | None, ValidationContext]


def _fixed(at: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: at


def _vector_contexts() -> dict[str, ValidationContext]:
    clock = _fixed(VECTOR_CLOCK)
    stores = {
        "self": TrustStore.load([VECTORS / "certs" / "SELF_SIGNED1.cer"]),
        "czo": TrustStore.load([VECTORS / "certs" / "CZOROOT.cer"]),
        "empty": TrustStore(),
    }
    out: dict[str, ValidationContext] = {}
    for name, store in stores.items():
        out[f"{name}/sig"] = ValidationContext(trust=store, at="signing-time", clock=clock)
        out[f"{name}/now"] = ValidationContext(trust=store, clock=clock)
        out[f"{name}/given"] = ValidationContext(
            trust=store, at=dt.datetime(2018, 10, 23), clock=clock
        )
        out[f"{name}/receipt"] = ValidationContext(
            trust=store,
            at=dt.datetime(2018, 10, 23, tzinfo=dt.UTC),
            at_is_receipt=True,
            clock=clock,
        )
        out[f"{name}/hard"] = ValidationContext(
            trust=store, at="signing-time", revocation="hard", clock=clock
        )
        out[f"{name}/require"] = ValidationContext(
            trust=store, at="signing-time", revocation="require", clock=clock
        )
        out[f"{name}/policy"] = ValidationContext(
            trust=store,
            at="signing-time",
            clock=clock,
            signer_policy=SignerPolicy.only(DIIA_SEAL),
        )
    extra = tuple(
        (VECTORS / "certs" / n).read_bytes() for n in ("SELF_SIGNED1.cer", "CA-Justice.cer")
    )
    out["empty/extra"] = ValidationContext(
        trust=TrustStore(), at="signing-time", clock=clock, extra_certs=(*extra, b"junk")
    )
    return out


def _vector_cases() -> dict[str, Case]:
    message = (VECTORS / "cms" / "message.p7").read_bytes()
    detached = (VECTORS / "cms" / "message_detached.p7").read_bytes()
    contexts = _vector_contexts()
    cases: dict[str, Case] = {}
    for cname, ctx in contexts.items():
        cases[f"vec/message/{cname}"] = (message, None, ctx)
        cases[f"vec/message+123/{cname}"] = (message, b"123", ctx)
        cases[f"vec/message+124/{cname}"] = (message, b"124", ctx)
        cases[f"vec/detached/{cname}"] = (detached, None, ctx)
        cases[f"vec/detached+123/{cname}"] = (detached, b"123", ctx)
        cases[f"vec/detached+12/{cname}"] = (detached, b"12", ctx)
    base = contexts["self/sig"]
    cases["vec/message/flip"] = (message, None, base)
    cases["vec/detached/flip"] = (detached, b"123", base)
    for n in (0, 1, 2, 10, len(message) // 2, len(message) - 1):
        cases[f"vec/message/trunc{n}"] = (message[:n], None, base)
    cases["vec/garbage"] = (b"\x30\x03\x02\x01\x01", None, base)
    cases["vec/toolarge"] = (
        message,
        None,
        ValidationContext(
            trust=base.trust, at="signing-time", clock=_fixed(VECTOR_CLOCK), max_size=100
        ),
    )
    return cases


def _signatures(pki: TestPKI, pdf: bytes) -> dict[str, tuple[bytes, bytes | None]]:
    person = issue_person(
        pki,
        "clerk",
        cn="Іваненко Петро",
        org="Тестова установа",
        surname="Іваненко",
        given="Петро",
        title="діловод",
        org_id="NTRUA-12345678",
        serial="TINUA-1111111111",
    )
    bes = sign_cades(pki, pdf)
    attached = sign_cades(pki, pdf, detached=False)
    t = sign_cades(pki, pdf, level="T")
    content_ts = sign_cades(pki, pdf, content_timestamp=True)
    return {
        "bes-det": (bes, pdf),
        "bes-att": (attached, None),
        "bes-att+pdf": (attached, pdf),
        "bes-att+other": (attached, pdf + b" "),
        "bes-det-nocontent": (bes, None),
        "bes-det-other": (bes, pdf[:-1]),
        "citizen": (sign_cades(pki, pdf, signer="citizen"), pdf),
        "person": (sign_cades(pki, pdf, signer=person), pdf),
        "t": (t, pdf),
        "t-late": (sign_cades(pki, pdf, level="T", timestamp_time=NOW + 2 * H), pdf),
        "t-early-claim": (
            sign_cades(pki, pdf, level="T", signing_time=NOW + H, timestamp_time=NOW),
            pdf,
        ),
        "t-notokcerts": (sign_cades(pki, pdf, level="T", token_certs=[]), pdf),
        "t-values": (
            sign_cades(
                pki,
                pdf,
                level="T",
                token_certs=[],
                certificate_values=[pki.tsa.cert, pki.ca.cert],
            ),
            pdf,
        ),
        "ct": (content_ts, pdf),
        "ct-nocontent": (content_ts, None),
        "ct-t": (
            sign_cades(
                pki,
                pdf,
                level="T",
                content_timestamp=True,
                token_certs=[],
                content_token_certs=[pki.tsa.cert],
            ),
            pdf,
        ),
        "nocerts": (sign_cades(pki, pdf, signed_data_certs=[]), pdf),
        "onlyleaf": (sign_cades(pki, pdf, signed_data_certs=[pki.seal.cert]), pdf),
        "values-only": (
            sign_cades(
                pki, pdf, signed_data_certs=[], certificate_values=[pki.seal.cert, pki.ca.cert]
            ),
            pdf,
        ),
        "wrongcert": (sign_cades(pki, pdf, signed_data_certs=[pki.citizen.cert, pki.ca.cert]), pdf),
        "past": (sign_cades(pki, pdf, signing_time=NOW - 3 * D), pdf),
    }


def _pki_contexts(pki: TestPKI, other: TestPKI) -> dict[str, ValidationContext]:
    anchor = TrustStore.from_certificates([pki.anchor])
    soon, late = _fixed(NOW + H), _fixed(NOW + 900 * D)

    def at(trust: TrustStore = anchor, **kw: Any) -> ValidationContext:
        kw.setdefault("clock", soon)
        return ValidationContext(trust=trust, **kw)

    return {
        "now": at(),
        "now-ca": at(TrustStore.from_certificates([pki.anchor], [pki.ca.cert])),
        "ca-anchor": at(TrustStore.from_certificates([pki.ca.cert])),
        "seal-anchor": at(TrustStore.from_certificates([pki.seal.cert])),
        "foreign": at(TrustStore.from_certificates([other.anchor])),
        "empty": at(TrustStore()),
        "sig": at(at="signing-time"),
        "sig-hard": at(at="signing-time", revocation="hard"),
        "require": at(revocation="require"),
        "hard": at(revocation="hard"),
        "future": at(at=NOW + 3000 * D),
        "future-naive": at(at=(NOW + 800 * D).replace(tzinfo=None)),
        "past": at(at=NOW - 2 * D),
        "receipt": at(at=NOW + 2 * H, at_is_receipt=True),
        "late-clock": at(clock=late),
        "sig-late-clock": at(at="signing-time", clock=late),
        "policy-diia": at(signer_policy=SignerPolicy.only(DIIA_SEAL)),
        "policy-cn": at(signer_policy=SignerPolicy.only(IdentityRule(common_name="nobody"))),
        "extra": at(extra_certs=(pki.ca.cert, pki.seal.cert, b"\x00")),
        "extra-parsed": at(TrustStore(), extra_certs=(Certificate.from_der(pki.anchor),)),
    }


def _pki_cases(flavour: str, pki: TestPKI, pdf: bytes) -> dict[str, Case]:
    other = make_pki(pki.flavour, now=NOW, seed=2)
    signatures = _signatures(pki, pdf)
    contexts = _pki_contexts(pki, other)
    cases: dict[str, Case] = {}
    for sname, (p7s, content) in signatures.items():
        for cname, ctx in contexts.items():
            cases[f"{flavour}/{sname}/{cname}"] = (p7s, content, ctx)
    for sname in ("bes-att", "t") if flavour == "ecdsa" else ("bes-att",):
        p7s, content = signatures[sname]
        cases[f"{flavour}/{sname}/flip"] = (p7s, content, contexts["now"])
    return cases


def case(cases: dict[str, Case], label: str) -> Case:
    """The input of `label`; "<base>/flipN" is the base with one bit of byte N flipped (bit N
    mod 8; for the attached vector "flipN.B" names the bit), "<base>/flip" itself untouched."""
    if "/flip" not in label:
        return cases[label]
    base, _, where = label.rpartition("/flip")
    p7s, content, ctx = cases[f"{base}/flip"]
    pos, _, bit = where.partition(".")
    if bit:
        return tamper(p7s, int(pos), int(bit)), content, ctx
    if base == "vec/detached":
        return tamper(p7s, int(pos), 0), content, ctx
    return tamper(p7s, int(pos), int(pos) % 8), content, ctx


def all_cases(pkis: dict[str, TestPKI]) -> dict[str, Case]:
    """The sweep's inputs by label; tampered twins are made on demand by `case`."""
    pdf = make_diia_copy_pdf()
    cases = _vector_cases()
    for flavour in ("ecdsa", "dstu"):
        cases.update(_pki_cases(flavour, pkis[flavour], pdf))
    return cases


def summary(p7s: bytes, content: bytes | None, ctx: ValidationContext) -> dict[str, Any]:
    """The report (or the exception `validate` raised) as recorded: a readable outline and
    the SHA-256 of the whole report JSON, so every check, code and message is compared while
    the file stays small."""
    try:
        report = validate(p7s, content, ctx)
    except Exception as exc:
        full: dict[str, Any] = {"raises": type(exc).__name__, "detail": str(exc)}
        outline = f"raises {type(exc).__name__}"
    else:
        full = report.to_dict()
        full["signed_content_size"] = (
            len(report.signed_content) if report.signed_content is not None else None
        )
        outline = " ".join(
            [
                f"{report.indication}/{report.sub_indication}",
                *(f"{c.name}:{c.status}" for c in report.checks),
                *(f"E:{m.code}" for m in report.errors),
                *(f"W:{m.code}" for m in report.warnings),
            ]
        )
    text = json.dumps(full, ensure_ascii=False, sort_keys=True)
    return {"outline": outline, "sha256": hashlib.sha256(text.encode()).hexdigest()}


def _report_json(p7s: bytes, content: bytes | None, ctx: ValidationContext) -> str:
    try:
        return json.dumps(validate(p7s, content, ctx).to_dict(), ensure_ascii=False, indent=1)
    except Exception as exc:
        return repr(exc)


def _pkis() -> dict[str, TestPKI]:
    return {"ecdsa": make_pki("ecdsa", now=NOW), "dstu": make_pki("dstu", now=NOW)}


@pytest.fixture(scope="module")
def cases(ecdsa_pki: TestPKI, dstu_pki: TestPKI, pki_now: dt.datetime) -> dict[str, Case]:
    assert pki_now == NOW, "the golden file was recorded with the shared PKIs of PKI_NOW"
    return all_cases({"ecdsa": ecdsa_pki, "dstu": dstu_pki})


GOLDEN_REPORTS: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.mark.parametrize("label", sorted(GOLDEN_REPORTS))
def test_report_is_the_recorded_one(label: str, cases: dict[str, Case]) -> None:
    args = case(cases, label)
    assert summary(*args) == GOLDEN_REPORTS[label], _report_json(*args)


def test_golden_file_covers_every_outcome() -> None:
    """The recorded set still spans what it was chosen for (so it cannot shrink unnoticed)."""
    outlines = [r["outline"] for r in GOLDEN_REPORTS.values()]
    assert len(set(outlines)) == len(outlines) >= 150
    verdicts = {outline.split(" ")[0] for outline in outlines}
    assert {
        "TOTAL_PASSED/None",
        "TOTAL_FAILED/FORMAT_FAILURE",
        "TOTAL_FAILED/HASH_FAILURE",
        "TOTAL_FAILED/SIG_CRYPTO_FAILURE",
        "TOTAL_FAILED/NOT_YET_VALID",
        "INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND",
        "INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND",
        "INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE",
        "INDETERMINATE/OUT_OF_BOUNDS_NO_POE",
        "INDETERMINATE/SIGNED_DATA_NOT_FOUND",
        "INDETERMINATE/TRY_LATER",
        "raises",
    } <= verdicts


def test_damaged_dstu_key_parameters_are_a_format_failure(cases: dict[str, Case]) -> None:
    """One bit flipped inside the signer's DSTU curve parameters made asn1crypto raise a plain
    ValueError, reported as an internal error (INDETERMINATE/GENERIC) until the parameters'
    parse said FORMAT_FAILURE; the sweep found it, and no input of the sweep reaches GENERIC now."""
    outline = summary(*case(cases, "dstu/bes-att/flip4860"))["outline"]
    assert outline.startswith("TOTAL_FAILED/FORMAT_FAILURE ")
    assert "GENERIC" not in outline


def _regenerate(labels: list[str]) -> None:
    cases = all_cases(_pkis())
    golden = {label: summary(*case(cases, label)) for label in labels}
    rows = (f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in golden.items())
    text = "{\n" + ",\n".join(rows) + "\n}\n"  # one case a line: reviewable diffs
    GOLDEN.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    _regenerate(sorted(GOLDEN_REPORTS))
