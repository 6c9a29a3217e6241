"""Online endpoint runtime, protocols, data collector, batch scoring and export."""
