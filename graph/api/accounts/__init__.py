"""Accounts: `me`, `users`, `register`, `login`, and the `User` type."""
