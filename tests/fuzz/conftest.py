"""The fuzz world's fixtures, for every test here."""

from tests.fuzz.world import clients, world

__all__ = ["clients", "world"]
