"""Pre-suggestions: spaCy pipelines, pattern files, propagation and relation rules.

Computing suggestions needs no project store: ``Suggester.suggest`` takes ``DocumentInput``s
and yields ``DocumentSuggestions``. Import the modules that need spaCy (``pipelines``,
``suggester``...) only when a run starts; ``results`` and ``occurrences`` are plain Python.
"""
