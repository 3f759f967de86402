"""Encryption at rest of free text: answers people typed and trainers' feedback.

Why these columns: these two columns (`AnswerRow.text`, `Feedback.text`) are
the most sensitive data Straatwijs keeps, so an operator with database access,
a stolen backup or a leaked dump must not be able to read them. Everything else
stays plain, so queries and aggregates work unchanged.

The key comes from STRAATWIJS_ENCRYPTION_KEY: one or more comma-separated Fernet
keys. The first encrypts; all of them decrypt (MultiFernet), so a new key can be
put in front and `straatwijs admin rotate-key` re-encrypts everything with it
before the old key is dropped. Without a key the cipher passes text through and
marks it plain (`encrypted=False`), so the application behaves the same either
way; a value marked encrypted is never shown as if it were plain text.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr


class CipherError(Exception):
    """Stored text cannot be read or written with the configured keys; the message
    says what to do (it never contains the text itself)."""


def parse_keys(value: str | SecretStr | None) -> list[Fernet]:
    """Fernet keys from a comma-separated setting; ValueError names a bad position.

    Raised messages never repeat a key, since they end up in logs and terminals.
    """
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if raw is None or not raw.strip():
        return []
    keys = []
    for position, part in enumerate(raw.split(","), start=1):
        try:
            keys.append(Fernet(part.strip().encode()))
        except (ValueError, TypeError):
            raise ValueError(
                f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes; "
                "make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            ) from None
    return keys


class TextCipher:
    """Seals free text for storage and opens it again; a pass-through without keys."""

    def __init__(self, keys: str | SecretStr | None = None) -> None:
        self._keys = parse_keys(keys)
        self._current = self._keys[0] if self._keys else None
        self._all = MultiFernet(self._keys) if self._keys else None

    @property
    def enabled(self) -> bool:
        """Whether new text is encrypted (a key is configured)."""
        return self._current is not None

    def seal(self, text: str) -> tuple[str, bool]:
        """The value to store and its `encrypted` flag."""
        if self._current is None:
            return text, False
        return self._current.encrypt(text.encode("utf-8")).decode("ascii"), True

    def open(self, stored: str, encrypted: bool) -> str:
        """The text as written, from a stored value and its flag."""
        if not encrypted:
            return stored
        if self._all is None:
            raise CipherError(
                "stored text is encrypted but STRAATWIJS_ENCRYPTION_KEY is not set; "
                "set the key it was written with"
            )
        try:
            return self._all.decrypt(stored.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise CipherError(
                "stored text was encrypted with a key that is not in "
                "STRAATWIJS_ENCRYPTION_KEY (or it was altered); add the old key after the new one"
            ) from None

    def is_current(self, stored: str) -> bool:
        """Whether an encrypted value is already sealed with the current (first) key."""
        if self._current is None:
            return False
        try:
            self._current.decrypt(stored.encode("ascii"))
        except InvalidToken:
            return False
        return True

    def reseal(self, stored: str, encrypted: bool) -> tuple[str, bool] | None:
        """The value sealed with the current key, or None when nothing needs to change.

        Plain text is encrypted once a key is set; encrypted text under an older key
        is re-encrypted; text already under the current key is left alone, which
        makes a repeated rotation a no-op.
        """
        if self._current is None:
            if encrypted:
                self.open(stored, encrypted)  # raises the "no key" error
            return None
        if encrypted and self.is_current(stored):
            return None
        return self.seal(self.open(stored, encrypted))


#: The cipher for code paths built without settings (tests, tools): plain text.
PLAIN = TextCipher()
