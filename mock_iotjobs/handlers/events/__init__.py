"""Handlers of the account's event configurations."""
