"""Persistence only: models, engine and session factory, queries."""
