"""Data monitoring: statistical profiles that serve as drift baselines."""
