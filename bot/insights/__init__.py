"""Community insights: sentiment, e-reputation alerts, service digest."""
