"""Customer channels: one module each, translating payloads to and from the core's messages."""
