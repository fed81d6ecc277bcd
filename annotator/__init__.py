"""annotator: correct spaCy's suggested entities and relations at keyboard speed."""

__version__ = "0.1.0"
