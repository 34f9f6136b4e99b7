"""The report's JSON contract (ARCHITECTURE section 3) and its text in English and Ukrainian."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from verify.report import Indication, Report, SubIndication
from verify.trust import TrustStore
from verify.validate import ValidationContext, validate

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
MESSAGE = (VECTORS / "cms" / "message.p7").read_bytes()
LATER = datetime(2026, 11, 1, tzinfo=UTC)

CONTRACT_KEYS = {
    "indication",
    "sub_indication",
    "signer",
    "signature_algorithm",
    "digest_algorithm",
    "signing_time",
    "timestamps",
    "chain",
    "content",
    "checks",
    "errors",
    "warnings",
    "policy_accepted",
}


def report_for(anchor: str = "SELF_SIGNED1.cer", content: bytes | None = None) -> Report:
    store = TrustStore.load([VECTORS / "certs" / anchor])
    p7s = MESSAGE if content is None else (VECTORS / "cms" / "message_detached.p7").read_bytes()
    return validate(
        p7s, content, ValidationContext(trust=store, at="signing-time", clock=lambda: LATER)
    )


@pytest.fixture(scope="module")
def passed() -> Report:
    return report_for()


def test_to_dict_has_the_contract_keys(passed: Report) -> None:
    d = passed.to_dict()
    assert CONTRACT_KEYS <= set(d)
    assert set(d["signer"]) >= {"subject", "serial_number", "organization_identifier", "issuer"}
    assert set(d["content"]) == {"attached", "sha256", "size"}
    for entry in d["chain"]:
        assert set(entry) >= {"subject", "issuer", "sha256", "not_before", "not_after"}
    for check in d["checks"]:
        assert set(check) == {"name", "status", "detail"}
        assert check["status"] in {"passed", "failed", "warning", "skipped"}


def test_to_dict_values_for_the_vector(passed: Report) -> None:
    d = passed.to_dict()
    assert d["indication"] == "TOTAL_PASSED" and d["sub_indication"] is None
    assert d["signing_time"] == "2018-10-22T19:25:05Z"
    assert d["signer"]["serial_number"] == "UA-99999999"
    assert d["signer"]["organization_identifier"] is None
    assert d["content"] == {
        "attached": True,
        "sha256": "a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3",
        "size": 3,
    }
    assert d["chain"][0]["not_after"] == "2023-11-14T22:13:20Z"
    assert d["digest_algorithm"] == "GOST 34.311-95"
    assert d["policy_accepted"] is True
    assert [w["code"] for w in d["warnings"]] == ["SIGNING_TIME_USED"]
    assert d["errors"] == []
    # The signed content is available to callers but never serialised.
    assert passed.signed_content == b"123"
    assert "123" not in json.dumps({k: v for k, v in d.items() if k != "content"})


def test_to_dict_is_json(passed: Report) -> None:
    text = json.dumps(passed.to_dict(), ensure_ascii=False)
    assert json.loads(text)["indication"] == "TOTAL_PASSED"


def test_failed_report_dict() -> None:
    d = report_for(content=b"999").to_dict()
    assert (d["indication"], d["sub_indication"]) == ("TOTAL_FAILED", "HASH_FAILURE")
    assert d["policy_accepted"] is False
    assert [e["code"] for e in d["errors"]] == ["HASH_FAILURE"]
    assert any(c["name"] == "message_digest" and c["status"] == "failed" for c in d["checks"])


def test_indeterminate_report_dict() -> None:
    d = report_for("CZOROOT.cer").to_dict()
    assert (d["indication"], d["sub_indication"]) == ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND")
    assert d["chain"] == []


def test_report_is_frozen(passed: Report) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        passed.indication = Indication.TOTAL_FAILED  # type: ignore[misc]


def test_render_text_english(passed: Report) -> None:
    text = passed.render_text("en")
    assert text.startswith("Result: signature is valid")
    assert "UA-99999999" in text and "2018-10-22T19:25:05Z" in text
    assert "SIGNING_TIME_USED" in text


def test_render_text_ukrainian(passed: Report) -> None:
    text = passed.render_text("uk")
    assert text.startswith("Результат: підпис дійсний")
    assert "Підписувач" in text and "Ланцюжок сертифікатів" in text
    assert "перевірено на заявлений час підпису" in text


def test_render_text_of_failures_in_both_languages() -> None:
    failed = report_for(content=b"999")
    assert "signature is NOT valid" in failed.render_text("en")
    assert "HASH_FAILURE" in failed.render_text("en")
    assert "підпис НЕДІЙСНИЙ" in failed.render_text("uk")
    indeterminate = report_for("CZOROOT.cer")
    assert "немає ланцюжка до довіреного кореня" in indeterminate.render_text("uk")
    assert indeterminate.sub_indication == SubIndication.NO_CERTIFICATE_CHAIN_FOUND
