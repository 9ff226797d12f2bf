"""A chat's mood on the surface: `Chat.mood`, `moodHistory`, `MoodChanged`."""
