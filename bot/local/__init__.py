"""The local stack: Redis (or an embedded stand-in), the action server, Rasa and the gateway on one machine."""
