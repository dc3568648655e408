"""Human handoff: community managers take conversations over in Slack and give them back to the bot."""
