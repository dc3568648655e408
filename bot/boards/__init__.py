"""Where community managers see tickets, alerts and digests: a Slack channel, or the local console instead."""
