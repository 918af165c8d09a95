"""User accounts and their bearer tokens."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from core.db import Base, new_id, utcnow
from core.encryption.columns import EncryptedText
from core.encryption.keys import current_ring

ROLES = ("patient", "doctor", "pharmacist", "admin")


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("usr"))
    # Encrypted; found by its keyed digest (email_lookup), set with it (see _index_email).
    email: Mapped[str] = mapped_column(EncryptedText)
    email_lookup: Mapped[str] = mapped_column(String(64), unique=True, info={"digest_of": "email"})
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    full_name: Mapped[str] = mapped_column(EncryptedText)
    license_number: Mapped[str | None] = mapped_column(String(64))
    specialty: Mapped[str | None] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Base32 TOTP secret of an enrolled authenticator (second factor), null when none; encrypted.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText)
    totp_confirmed: Mapped[bool] = mapped_column(default=False)
    # The time-step (Unix time // 30) of the last code accepted: a code is accepted once.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Wrong codes (or passwords, when re-entered to enrol) in a row; too many lock the factor.
    otp_failures: Mapped[int] = mapped_column(default=0)
    otp_locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @validates("email")
    def _index_email(self, _key, email: str) -> str:
        self.email_lookup = current_ring().lookup_digest(email)
        return email


class AccessToken(Base):
    """A bearer token, stored only as its SHA-256 so a database leak gives no sessions."""

    __tablename__ = "access_tokens"
    __table_args__ = (Index("ix_access_tokens_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("tok"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Failed logins to one account from one client address, and that pair's lock.

    Locking the pair rather than the account means a stranger guessing a password locks
    out only themself; the account's owner, from their own address, still logs in.
    """

    __tablename__ = "login_throttles"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
