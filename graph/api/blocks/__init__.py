"""Blocking a person: `blockUser`, `unblockUser` and `blockedUsers`."""
