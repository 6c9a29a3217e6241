"""Metadata store (SQLAlchemy 2 + Alembic) and artifact store (fsspec). Internal."""
