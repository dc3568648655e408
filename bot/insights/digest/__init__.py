"""The service digest: its figures, its chart, its renderings (Slack, HTML), its schedule and its job."""
