"""Sentichat: one-to-one realtime chat with message sentiment, over GraphQL."""
