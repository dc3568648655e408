"""The gateway: the ASGI app, the durable queue and the dispatcher that takes messages to Rasa and back."""
