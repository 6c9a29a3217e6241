"""API and SDK schemas grouped by purpose: entities (responses) and requests (bodies)."""
