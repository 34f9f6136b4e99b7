"""Personal-data verbs: purge, subject requests, legal hold, audit verification, keys, backup."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from archive import audit, leases
from archive.backup import backup, restore
from archive.errors import NotFound
from archive.localtime import display, iso
from archive.models import Document, utcnow
from diia_inbox import privacy
from diia_inbox.cli_common import (
    EXIT_FAIL,
    EXIT_OK,
    Parser,
    UsageError,
    config_from_args,
    display_zone,
)
from diia_inbox.runtime import Runtime, opened
from search import subjects


def _instant(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _subject_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name", help="name, in any order and word form (Cyrillic or Latin)")
    p.add_argument("--rnokpp", help="tax number (RNOKPP)")
    p.add_argument("--birth-date", help="date of birth, DD.MM.YYYY")
    p.add_argument("--number", help="document number")


def _subject(args: argparse.Namespace) -> subjects.Subject:
    try:
        return subjects.Subject(
            name=args.name,
            rnokpp=args.rnokpp,
            birth_date=subjects.parse_birth_date(args.birth_date),
            number=args.number,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _when(value: str) -> str:
    """An ISO date as DD.MM.YYYY for the officer's eyes."""
    try:
        return dt.date.fromisoformat(value).strftime("%d.%m.%Y")
    except ValueError:
        return value


def _identity_line(n: int, found: subjects.Found) -> str:
    ident = found.identity
    parts = [" / ".join(ident.names) or "(no name recognised)"]
    if ident.birth_dates:
        parts.append("born " + ", ".join(_when(d) for d in sorted(ident.birth_dates)))
    if ident.rnokpps:
        parts.append("RNOKPP " + ", ".join(sorted(ident.rnokpps)))
    return f"person {n}: " + "; ".join(parts) + f" ({len(found.documents)} copies)"


def _findings_text(findings: subjects.Findings, tz: ZoneInfo) -> list[str]:
    lines = [f"{len(findings.identities)} people match"]
    for n, found in enumerate(findings.identities, 1):
        lines.append(_identity_line(n, found))
        lines += [f"  {_row_text(d, tz)}" for d in found.documents]
    if findings.to_check:
        lines.append(
            f"to check by hand ({len(findings.to_check)}): the text names the person, "
            "the recognised fields do not"
        )
        lines += [f"  {_row_text(d, tz)}" for d in findings.to_check]
    if findings.unreadable:
        lines.append(
            f"needs manual review ({len(findings.unreadable)}): the text could not be read "
            "(encrypted, scanned or damaged), so nobody could check whom it names"
        )
        lines += [f"  {_row_text(d, tz)}" for d in findings.unreadable]
    return lines


def _findings_json(findings: subjects.Findings) -> dict[str, object]:
    return {
        "identities": [
            {**f.to_dict(), "copies": [_doc_row(d) for d in f.documents]}
            for f in findings.identities
        ],
        "to_check": [_doc_row(d) for d in findings.to_check],
        "needs_manual_review": [_doc_row(d) for d in findings.unreadable],
    }


def _select(
    rt: Runtime,
    args: argparse.Namespace,
    subject: subjects.Subject,
    match: subjects.Matcher,
    *,
    erasure: bool,
) -> subjects.Selection | None:
    """The copies the request takes, or None after printing why it was refused."""
    try:
        return privacy.plan_erasure(rt, subject, args.copy, match, erasure=erasure)
    except subjects.Ambiguous as exc:
        print("refused: " + str(exc), file=sys.stderr)
        print("\n".join(_findings_text(exc.findings, display_zone(rt.config))))
    except subjects.NotAmongFound as exc:
        print(f"refused: {exc}", file=sys.stderr)
    return None


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("purge", help="delete copies past their retention period", parents=[common])
    p.add_argument("--dry-run", action="store_true", help="only show what would go")
    p.add_argument("--now", type=_instant, default=None, help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_purge)

    s = sub.add_parser(
        "subject", help="data-subject requests: find, export, erase", parents=[common]
    )
    ss = s.add_subparsers(dest="subject_cmd", required=True, parser_class=Parser)
    for name, func, hlp in (
        ("find", cmd_subject_find, "list the copies that name a person"),
        ("export", cmd_subject_export, "write everything held about a person to one zip"),
        ("erase", cmd_subject_erase, "erase everything held about a person, everywhere"),
    ):
        sp = ss.add_parser(name, help=hlp, parents=[common])
        _subject_args(sp)
        if name in ("export", "erase"):
            sp.add_argument(
                "--copy",
                type=int,
                action="append",
                metavar="ID",
                help="take exactly this copy (repeat); it must be among those found",
            )
        if name == "export":
            sp.add_argument("--out", required=True, type=Path)
        if name == "erase":
            sp.add_argument("--yes", action="store_true", help="do it (otherwise only list)")
            sp.add_argument(
                "--dry-run", action="store_true", help="list exactly what would go (default)"
            )
        sp.add_argument("--json", action="store_true")
        sp.set_defaults(func=func)

    h = sub.add_parser("hold", help="set or clear the legal hold of a document", parents=[common])
    h.add_argument("document", type=int)
    h.add_argument("--clear", action="store_true")
    h.set_defaults(func=cmd_hold)

    a = sub.add_parser("audit", help="audit log", parents=[common])
    asub = a.add_subparsers(dest="audit_cmd", required=True, parser_class=Parser)
    av = asub.add_parser("verify", help="check the audit hash chain", parents=[common])
    av.set_defaults(func=cmd_audit_verify)

    k = sub.add_parser("keys", help="encryption keys of the blob store", parents=[common])
    ksub = k.add_subparsers(dest="keys_cmd", required=True, parser_class=Parser)
    kr = ksub.add_parser("rotate", help="new current key; re-encrypt every blob", parents=[common])
    kr.set_defaults(func=cmd_keys_rotate)

    b = sub.add_parser("backup", help="consistent snapshot while running", parents=[common])
    b.add_argument("--out", required=True, type=Path, help="backup file to write (.tar)")
    b.set_defaults(func=cmd_backup)
    r = sub.add_parser(
        "restore", help="restore a backup into an empty installation", parents=[common]
    )
    r.add_argument("file", type=Path)
    r.set_defaults(func=cmd_restore)


def cmd_purge(args: argparse.Namespace) -> int:
    now = args.now or dt.datetime.now(dt.UTC)
    with opened(config_from_args(args)) as rt:
        if args.dry_run:
            report = privacy.purge(rt, now, dry_run=True)
        else:
            with leases.cli_run(rt.db, "purge", rt.config.node_name):
                report = privacy.purge(rt, now, dry_run=False)
    plan = report.plan
    out = {
        "dry_run": args.dry_run,
        "documents": list(plan.documents),
        "messages": list(plan.messages),
        "blobs": len(plan.blobs),
        "held": plan.held,
        "quarantine_removed": report.quarantine_removed,
        "unreadable": list(report.unreadable),
    }
    if args.json:
        print(json.dumps(out))
    else:
        verb = "would delete" if args.dry_run else "deleted"
        print(
            f"{verb} {len(plan.documents)} documents, {len(plan.messages)} messages, "
            f"up to {len(plan.blobs)} blobs; {plan.held} kept on legal hold"
        )
        if report.unreadable:
            print(
                f"of which {len(report.unreadable)} could not be read (content never checked): "
                + ", ".join(map(str, report.unreadable))
            )
    return EXIT_OK


def _doc_row(d: Document) -> dict[str, object]:
    return {
        "id": d.id,
        "message": d.message_id,
        "document_type": d.document_type,
        "received_at": iso(d.received_at),
        "indication": d.indication,
        "person_name": (d.fields or {}).get("person_name"),
    }


def _row_text(d: Document, tz: ZoneInfo) -> str:
    name = (d.fields or {}).get("person_name") or "-"
    return f"{d.id}\t{d.document_type or '-'}\t{display(d.received_at, tz)}\t{name}"


def cmd_subject_find(args: argparse.Namespace) -> int:
    subject = _subject(args)
    with opened(config_from_args(args)) as rt:
        findings = privacy.find_subject(rt, subject)
        with rt.db.session() as s:
            audit.record(
                s,
                "cli",
                "subject.find",
                "subject",
                "",
                detail={
                    "criteria": subject.criteria(),
                    "found": len(findings.documents),
                    "identities": len(findings.identities),
                    "to_check": len(findings.to_check),
                    "unreadable": len(findings.unreadable),
                },
            )
    if args.json:
        print(json.dumps(_findings_json(findings), ensure_ascii=False))
    else:
        print("\n".join(_findings_text(findings, display_zone(rt.config))))
    return EXIT_OK


def cmd_subject_export(args: argparse.Namespace) -> int:
    subject = _subject(args)
    with opened(config_from_args(args)) as rt:
        selection = _select(rt, args, subject, privacy.matcher(), erasure=False)
        if selection is None:
            return EXIT_FAIL
        with rt.db.session() as s:
            docs = [d for d in (s.get(Document, x.id) for x in selection.documents) if d]
            data = subjects.export(s, rt.blobs, docs)
            audit.record(
                s,
                "cli",
                "subject.export",
                "subject",
                "",
                detail={"criteria": subject.criteria(), "documents": len(docs)},
            )
            for d in docs:
                audit.record(s, "cli", "document.export", "document", d.id)
    tmp = args.out.with_name(args.out.name + ".partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, args.out)
    print(f"exported {len(docs)} documents to {args.out}")
    return EXIT_OK


def cmd_subject_erase(args: argparse.Namespace) -> int:
    subject = _subject(args)
    match = privacy.matcher()
    with opened(config_from_args(args)) as rt:
        selection = _select(rt, args, subject, match, erasure=True)
        if selection is None:
            return EXIT_FAIL
        if args.dry_run or not args.yes:
            ids = [d.id for d in selection.documents]
            print(f"would erase {len(ids)} documents: {', '.join(map(str, ids)) or '-'}")
            for d in selection.documents:
                print(f"  {_row_text(d, display_zone(rt.config))}")
            _print_left(selection.unchecked, [d.id for d in selection.findings.to_check])
            print("run again with --yes to erase")
            return EXIT_OK
        try:
            report = privacy.erase_subject(rt, subject, actor="cli", copies=args.copy, match=match)
        except subjects.Ambiguous as exc:  # the archive changed since the check above
            print("refused: " + str(exc), file=sys.stderr)
            return EXIT_FAIL
    print(f"erased {len(report.erased)} documents: {', '.join(map(str, report.erased)) or '-'}")
    if report.held:
        held = ", ".join(map(str, report.held))
        print(
            f"kept {len(report.held)} on legal hold (documents {held}); "
            "clear the hold with `diia-inbox hold DOC --clear` and erase again"
        )
    if report.selection.same_message:
        same = ", ".join(map(str, report.selection.same_message))
        print(f"of which from the same e-mail as a matched copy: {same}")
    _print_left(report.unchecked, report.to_check)
    return EXIT_OK


def _print_left(unchecked: list[int], to_check: list[int]) -> None:
    if unchecked:
        print(
            f"could not check {len(unchecked)} copies (unreadable text; not erased, review "
            f"them by hand): {', '.join(map(str, unchecked))}"
        )
    if to_check:
        print(
            f"{len(to_check)} copies name the person only in their text (not erased; check by "
            f"hand, then erase with --copy): {', '.join(map(str, to_check))}"
        )


def cmd_hold(args: argparse.Namespace) -> int:
    with opened(config_from_args(args)) as rt, rt.db.session() as s:
        doc = s.get(Document, args.document)
        if doc is None:
            raise NotFound(f"no document {args.document}")
        doc.legal_hold = not args.clear
        audit.record(
            s, "cli", "document.hold" if doc.legal_hold else "document.unhold", "document", doc.id
        )
    print(f"document {args.document}: legal hold {'off' if args.clear else 'on'}")
    return EXIT_OK


def cmd_audit_verify(args: argparse.Namespace) -> int:
    with opened(config_from_args(args)) as rt, rt.db.session() as s:
        problems = audit.verify_chain(s)
    if not problems:
        print("audit log intact")
        return EXIT_OK
    for p in problems:
        print(f"audit entry {p.event_id}: {p.problem}", file=sys.stderr)
    return EXIT_FAIL


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    with opened(config_from_args(args)) as rt:
        try:
            kid, count = privacy.rotate_keys(rt, dict(os.environ))
        except privacy.KeyringFromEnvironment as exc:
            raise UsageError(str(exc)) from None
    print(f"current key {kid}; re-encrypted {count} blobs")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    from diia_inbox.cluster import wait_for_drain

    with opened(config_from_args(args)) as rt:
        # Every message any running node answered 250 to before now must be in the backup:
        # wait until each has moved what it spooled before now into the archive.
        drain = wait_for_drain(rt.db, utcnow(), rt.config.cluster.backup_wait_seconds)
        summary = backup(
            rt.db,
            rt.config.blob_dir,
            rt.config.spool_dir,
            args.out,
            trust_dir=rt.config.trust_dir,
        )
    print(
        f"backup {summary.path}: {sum(summary.rows.values())} rows, {summary.blobs} blobs, "
        f"{summary.spool} spooled messages"
    )
    if drain.waited_for:
        print(f"nodes drained into the archive first: {', '.join(drain.waited_for)}")
    for name, depth in drain.down:
        print(
            f"node {name} is down with {depth} spooled messages: they are on its disk, not in "
            "this backup; start it (or back up its data folder) to include them",
            file=sys.stderr,
        )
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    rt = Runtime.open(config)
    try:
        summary = restore(
            args.file, rt.db, config.blob_dir, config.spool_dir, trust_dir=config.trust_dir
        )
        rebuilt = _reindex(rt)
    finally:
        rt.close()
    print(
        f"restored {sum(summary.rows.values())} rows, {summary.blobs} blobs, "
        f"{summary.spool} spooled messages; indexed {rebuilt} documents"
    )
    return EXIT_OK


def _reindex(rt: Runtime) -> int:
    from search.index import index_doc

    with privacy.search_backend(rt) as backend, rt.db.session() as s:
        docs = s.query(Document).order_by(Document.id).yield_per(200)
        return int(backend.rebuild(index_doc(d) for d in docs))
