"""Chats: `chats`, `requestChat`, `newChat`, and the `Chat` type."""
