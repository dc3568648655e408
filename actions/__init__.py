"""Custom actions of the Rasa assistant, one module per domain (run by the rasa-sdk action server)."""
