"""Data files shipped in the wheel as ``annotator.resources``; read with importlib.resources."""
