"""Import every reader and writer module so that they register themselves."""

# One line per format module, added as formats are written.
from annotator.io import brat  # noqa: F401
