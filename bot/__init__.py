"""Straatwijs: a Telegram coach for streetwise frontline professionals."""

__version__ = "0.1.0"
