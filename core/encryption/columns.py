"""Column types that store a value encrypted with the key ring and give it back decrypted.

The database sees only `v1$<key id>$<ciphertext>` text: it cannot filter, sort or index on
the value. A column that must be found by equality gets a keyed digest column beside it
(`users.email_lookup`); nothing else queries an encrypted column in SQL.
"""

import json
from datetime import date

from sqlalchemy import Text, TypeDecorator

from core.encryption.keys import current_ring


class EncryptedText(TypeDecorator):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else current_ring().encrypt(self.dump(value))

    def process_result_value(self, value, dialect):
        return None if value is None else self.load(current_ring().decrypt(value))

    def dump(self, value) -> str:
        if not isinstance(value, str):
            raise TypeError(f"{type(value).__name__} given to an encrypted text column")
        return value

    def load(self, text: str):
        return text


class EncryptedJSON(EncryptedText):
    """JSON (a list or an object), serialised then encrypted; Python None is SQL NULL."""

    cache_ok = True

    def dump(self, value) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def load(self, text: str):
        return json.loads(text)


class EncryptedDate(EncryptedText):
    cache_ok = True

    def dump(self, value) -> str:
        if not isinstance(value, date):
            raise TypeError(f"{type(value).__name__} given to an encrypted date column")
        return value.isoformat()

    def load(self, text: str):
        return date.fromisoformat(text)
