"""Crypto-shredding: personal data is encrypted with a key per victim (AES-256-GCM), each key
wrapped by the service's master key. Erasure deletes the key, and every copy of the data —
rows, backups, WAL — becomes unreadable at once."""

import base64
import os

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

NONCE_BYTES = 12


class KeyErased(LookupError):
    """The subject's key was destroyed: their data is gone for good."""


def subject_keys_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "subject_keys",
        metadata,
        sa.Column("subject_ref", sa.Text, primary_key=True),
        sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
    )


def master_key_from(setting: str) -> bytes:
    """The master key setting is 32 bytes, base64 (urlsafe)."""
    key = base64.urlsafe_b64decode(setting)
    if len(key) != 32:
        raise ValueError("the master key must be 32 bytes, base64-encoded")
    return key


def _seal(key: bytes, plaintext: bytes, context: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, context)


def _open(key: bytes, sealed: bytes, context: bytes) -> bytes:
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)


class Vault:
    """Encrypts and decrypts one service's personal data, a key per subject (victim)."""

    def __init__(self, table: sa.Table, master_key: bytes):
        self._table = table
        self._master = master_key

    async def _key(self, session: AsyncSession, subject_ref: str, *, create: bool) -> bytes:
        wrapped = await session.scalar(
            sa.select(self._table.c.wrapped_key).where(self._table.c.subject_ref == subject_ref)
        )
        if wrapped is None:
            if not create:
                raise KeyErased(subject_ref)
            fresh = AESGCM.generate_key(bit_length=256)
            await session.execute(
                insert(self._table)
                .values(
                    subject_ref=subject_ref,
                    wrapped_key=_seal(self._master, fresh, subject_ref.encode()),
                )
                .on_conflict_do_nothing()
            )
            return await self._key(session, subject_ref, create=False)
        return _open(self._master, wrapped, subject_ref.encode())

    async def encrypt(self, session: AsyncSession, subject_ref: str, text: str) -> bytes:
        key = await self._key(session, subject_ref, create=True)
        return _seal(key, text.encode(), subject_ref.encode())

    async def decrypt(self, session: AsyncSession, subject_ref: str, sealed: bytes) -> str:
        key = await self._key(session, subject_ref, create=False)
        return _open(key, sealed, subject_ref.encode()).decode()

    async def erase(self, session: AsyncSession, subject_ref: str) -> None:
        await session.execute(
            sa.delete(self._table).where(self._table.c.subject_ref == subject_ref)
        )
