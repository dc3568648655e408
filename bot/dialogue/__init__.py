"""What Rasa's dialogue side runs from this project: the tracker store that keeps each turn's cost flat."""
