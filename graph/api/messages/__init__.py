"""Messages: `messages`, `sendMessage`, `newMessage`, and the `Message` type."""
