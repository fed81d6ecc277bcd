"""The SQLite project file. The only package that imports sqlite-utils."""

from annotator.store.project import FORMAT_MARKER, Project
from annotator.store.stats import project_stats

__all__ = ["FORMAT_MARKER", "Project", "project_stats"]
