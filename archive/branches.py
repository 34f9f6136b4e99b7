"""Branches (відділення) and their receiving addresses."""

from __future__ import annotations

import re

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from archive.errors import Conflict, Invalid, NotFound
from archive.models import Branch, utcnow

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def normalize_email(address: str) -> str:
    """Receiving addresses compare case-insensitively and without surrounding space or <>."""
    address = address.strip().strip("<>").strip()
    return address.lower()


def add_branch(
    session: Session, name: str, address: str, email: str, organization: str | None = None
) -> Branch:
    name, address = name.strip(), address.strip()
    if not name:
        raise Invalid("branch name is empty")
    if not address:
        raise Invalid("branch address is empty")
    norm = normalize_email(email)
    if not _EMAIL.match(norm):
        raise Invalid(f"not an e-mail address: {email!r}")
    if session.execute(select(Branch.id).where(Branch.email == norm)).first():
        raise Conflict(f"receiving address {norm} already belongs to a branch")
    branch = Branch(name=name, address=address, email=norm, organization=organization)
    session.add(branch)
    session.flush()
    return branch


def list_branches(session: Session) -> list[Branch]:
    return list(session.execute(select(Branch).order_by(Branch.id)).scalars())


#: Built once: the worker looks a branch up for every message, and building the statement
#: (coercing its values) cost more than running it.
_BY_ADDRESS = select(Branch).where(
    func.lower(Branch.email) == bindparam("email"), Branch.active.is_(True)
)


def branch_for_address(session: Session, address: str) -> Branch | None:
    norm = normalize_email(address)
    return session.execute(_BY_ADDRESS, {"email": norm}).scalar_one_or_none()


def receiving_addresses(session: Session) -> set[str]:
    return set(session.execute(select(Branch.email).where(Branch.active.is_(True))).scalars())


def change_address(session: Session, branch_id: int, address: str) -> Branch:
    """A changed address needs a new QR code; the time of change lets QR tools flag that."""
    branch = session.get(Branch, branch_id)
    if branch is None:
        raise NotFound(f"no branch {branch_id}")
    if address.strip() != branch.address:
        branch.address = address.strip()
        branch.address_changed_at = utcnow()
    return branch


def update_branch(
    session: Session,
    branch_id: int,
    *,
    name: str | None = None,
    address: str | None = None,
    email: str | None = None,
    organization: str | None = None,
) -> list[str]:
    """Change what was given (None keeps a field; an empty organisation clears it) and return
    the names of the fields that changed. The same rules as `add_branch`: a name and an
    address are required, the receiving address is a valid e-mail no other branch uses. A new
    postal address is timestamped, since the QR poster shows it (`change_address`)."""
    branch = session.get(Branch, branch_id)
    if branch is None:
        raise NotFound(f"no branch {branch_id}")
    changed: list[str] = []
    if name is not None:
        if not name.strip():
            raise Invalid("branch name is empty")
        if name.strip() != branch.name:
            branch.name = name.strip()
            changed.append("name")
    if address is not None:
        if not address.strip():
            raise Invalid("branch address is empty")
        if address.strip() != branch.address:
            change_address(session, branch_id, address)
            changed.append("address")
    if email is not None:
        norm = normalize_email(email)
        if not _EMAIL.match(norm):
            raise Invalid(f"not an e-mail address: {email!r}")
        if norm != branch.email:
            taken = session.execute(
                select(Branch.id).where(Branch.email == norm, Branch.id != branch_id)
            ).first()
            if taken:
                raise Conflict(f"receiving address {norm} already belongs to a branch")
            branch.email = norm
            changed.append("email")
    if organization is not None:
        org = organization.strip() or None
        if org != branch.organization:
            branch.organization = org
            changed.append("organization")
    session.flush()
    return changed
