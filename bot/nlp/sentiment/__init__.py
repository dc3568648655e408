"""Sentiment of customer messages, French and English: lexicons, grammar (negation, intensifiers), evaluation."""
