"""Importing this package registers every implemented operation."""

from . import endpoint, things  # noqa: F401
