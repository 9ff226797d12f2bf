"""Reports and moderation: `reportMessage`, and the moderators' `reports`,
`resolveReport` and `moderationLog`, with their types."""
