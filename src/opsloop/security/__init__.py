"""Principals, authorisation and audit. Access control proper comes later; the hooks are here."""
