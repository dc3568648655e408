"""Language tooling built on spaCy (no pretrained pipeline: spaCy 3.4 has none on PyPI)."""
