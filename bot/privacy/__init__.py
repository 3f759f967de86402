"""Privacy helpers: spotting identifying details in free text before it is stored."""

from bot.privacy.detect import KINDS, Finding, find_identifying

__all__ = ["KINDS", "Finding", "find_identifying"]
