"""Live activity: read receipts, typing and presence."""
