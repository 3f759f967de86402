"""Privacy core: spotting identifying details in free text before it is stored, and
sealing the free text that is stored. Pure: no database, no channel."""

from bot.privacy.cipher import PLAIN, CipherError, TextCipher, parse_keys
from bot.privacy.detect import KINDS, Finding, find_identifying

__all__ = [
    "KINDS",
    "PLAIN",
    "CipherError",
    "Finding",
    "TextCipher",
    "find_identifying",
    "parse_keys",
]
