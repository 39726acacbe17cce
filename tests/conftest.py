"""Shared fixtures: which server the integration tests talk to."""
