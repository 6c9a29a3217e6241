"""REST API (FastAPI) under /api/v1: a thin face over the service layer."""
