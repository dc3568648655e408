"""Bot trainers' tools: turning conversations into training data, and measuring the model."""
