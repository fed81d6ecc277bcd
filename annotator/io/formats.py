"""Import every reader and writer module so that they register themselves."""

# One line per format module, added as formats are written.
from annotator.io import (
    annotator_jsonl,  # noqa: F401
    brat,  # noqa: F401
    conll,  # noqa: F401
    docbin,  # noqa: F401
    docbin_writer,  # noqa: F401
    doccano,  # noqa: F401
    jsonl,  # noqa: F401
    labelstudio,  # noqa: F401
    prodigy_writer,  # noqa: F401
    text,  # noqa: F401
)
