"""Counts over a project: what ``annotator stats`` prints and the GUI summarises.

All counting is done by SQLite, so it stays fast on 100,000 documents.
"""

from __future__ import annotations

from typing import Any

from annotator.store.listing import DISPUTED_DOCUMENTS
from annotator.store.project import Project


def _grouped(project: Project, sql: str) -> dict[str, int]:
    return {str(key): count for key, count in project.db.execute(sql)}


DECIDED_MATCHES = "decided_matches"
"""The key of a ``suggest`` log event's suggestions that fell on a span already decided
(``{doc_id: [[start, end, label, origin], ...]}``, by document so that the done ones are read
alone): not stored, since the decision stays, yet proposed, so they count for their
suggester: right on an accepted span, wrong on a rejected one."""

_MATCHES_IN_DONE = f"""
    WITH found AS MATERIALIZED (
      SELECT DISTINCT d.id AS doc_id, m.value ->> 0 AS start, m.value ->> 1 AS end,
             m.value ->> 2 AS label, m.value ->> 3 AS origin
      FROM edit_log e
      CROSS JOIN json_each(e.payload, '$.{DECIDED_MATCHES}') per_document
      CROSS JOIN documents d ON d.id = CAST(per_document.key AS INTEGER)
      CROSS JOIN json_each(per_document.value) m
      WHERE e.kind = 'suggest' AND d.status = 'done'
    )
    SELECT f.origin, f.doc_id,
           EXISTS (SELECT 1 FROM spans s WHERE s.doc_id = f.doc_id AND s.start = f.start
                   AND s.end = f.end AND s.label = f.label AND s.status = 'accepted') AS kept,
           f.start, f.end, f.label
    FROM found f
    WHERE NOT EXISTS (SELECT 1 FROM spans s WHERE s.doc_id = f.doc_id AND s.start = f.start
                      AND s.end = f.end AND s.label = f.label AND s.origin = f.origin)
"""
# (a suggestion of its own on that span, stored by an earlier run, counts already)


def decided_matches_in_done(project: Project) -> list[tuple[str, int, int, int, str, bool]]:
    """``(origin, doc_id, start, end, label, kept)`` of each suggestion that fell on a span
    already decided, in the done documents (``DECIDED_MATCHES``); ``kept``: that span is
    accepted there now."""
    return [
        (origin, doc_id, start, end, label, bool(kept))
        for origin, doc_id, kept, start, end, label in project.db.execute(_MATCHES_IN_DONE)
    ]


def _matches_by_origin(project: Project) -> dict[str, tuple[int, int]]:
    """origin -> (its suggestions on decided spans in done documents, those accepted)."""
    return {
        origin: (count, kept)
        for origin, count, kept in project.db.execute(
            f"SELECT origin, count(*), sum(kept) FROM ({_MATCHES_IN_DONE}) GROUP BY origin"
        )
    }


def project_stats(project: Project) -> dict[str, Any]:
    """Documents by status; spans and relations by status, label and origin; suggester quality.

    ``origins[o].precision`` is, over finished (``done``) documents, the share of the origin's
    suggestions that were accepted without edit; suggestions left pending in a finished document
    count as not taken, and those that fell on a span already decided (``DECIDED_MATCHES``)
    count as that span's decision. ``None`` when no finished document has a suggestion from
    that origin.
    """
    db = project.db
    documents: dict[str, Any] = {
        "total": project.count_documents(),
        "by_status": _grouped(project, "SELECT status, count(*) FROM documents GROUP BY status"),
    }
    if project.settings.review_of:  # a merged project: what is left to settle
        documents["in_dispute"] = db.execute(
            f"SELECT count(*) FROM ({DISPUTED_DOCUMENTS})"
        ).fetchone()[0]
    spans = {
        "total": db.execute("SELECT count(*) FROM spans").fetchone()[0],
        "by_status": _grouped(project, "SELECT status, count(*) FROM spans GROUP BY status"),
        "by_label": _grouped(project, "SELECT label, count(*) FROM spans GROUP BY label"),
        "by_origin": _grouped(project, "SELECT origin, count(*) FROM spans GROUP BY origin"),
        "misaligned": project.count_misaligned(),
        # documents whose spans' alignment is not known yet: an import leaves tokens for later
        "untokenized_documents": project.count_untokenized(),
    }
    relations = {
        "total": db.execute("SELECT count(*) FROM relations").fetchone()[0],
        "by_status": _grouped(project, "SELECT status, count(*) FROM relations GROUP BY status"),
        "by_label": _grouped(project, "SELECT label, count(*) FROM relations GROUP BY label"),
        "by_origin": _grouped(project, "SELECT origin, count(*) FROM relations GROUP BY origin"),
    }
    return {
        "project": str(project.path),
        "documents": documents,
        "spans": spans,
        "relations": relations,
        "origins": _origin_quality(project),
        "edits": db.execute("SELECT count(*) FROM edit_log").fetchone()[0],
    }


def _origin_quality(project: Project) -> dict[str, dict[str, Any]]:
    """Per suggester (every origin but ``human`` and imports): how its suggestions fared."""
    origins: dict[str, dict[str, Any]] = {}
    for table in ("spans", "relations"):
        edited = "a.edited" if table == "spans" else "0"
        rows = project.db.execute(
            f"""
            SELECT a.origin,
                   sum(a.status = 'suggested'),
                   sum(a.status = 'accepted'),
                   sum(a.status = 'rejected'),
                   sum(a.status = 'accepted' AND {edited} = 1),
                   sum(d.status = 'done'),
                   sum(d.status = 'done' AND a.status = 'accepted' AND {edited} = 0)
            FROM {table} a JOIN documents d ON d.id = a.doc_id
            WHERE a.origin != 'human' AND a.origin NOT LIKE 'import:%'
            GROUP BY a.origin
            """
        ).fetchall()
        matches = _matches_by_origin(project) if table == "spans" else {}
        rows += [(origin, 0, 0, 0, 0, 0, 0) for origin in matches.keys() - {r[0] for r in rows}]
        for origin, pending, accepted, rejected, after_edit, in_done, kept_in_done in rows:
            found, found_kept = matches.get(origin, (0, 0))
            in_done, kept_in_done = (in_done or 0) + found, (kept_in_done or 0) + found_kept
            entry = origins.setdefault(origin, {})
            entry[table] = {
                "suggested": pending,
                "accepted": accepted,
                "rejected": rejected,
                "accepted_after_edit": after_edit,
                "in_done_documents": in_done,  # with those on decided spans
                "precision": round(kept_in_done / in_done, 4) if in_done else None,
            }
            if table == "spans":
                entry[table]["on_decided_spans"] = found  # not stored: the decision stayed
    return origins


def precision_in_done_documents(project: Project) -> dict[tuple[str, str], float]:
    """(origin, ``spans`` or ``relations``) -> the ``precision`` of ``project_stats``' origins,
    for the suggesters with a suggestion in a done document (the others have none yet).

    Read through the done documents only (the documents' status index, then each one's
    annotations), not every span of the project: the window asks at a document's first edit,
    where ``project_stats`` took 40 ms on a project of one long document."""
    figures: dict[tuple[str, str], float] = {}
    for table in ("spans", "relations"):
        edited = "a.edited" if table == "spans" else "0"
        rows = project.db.execute(
            f"""
            SELECT a.origin, count(*), sum(a.status = 'accepted' AND {edited} = 0)
            FROM documents d JOIN {table} a ON a.doc_id = d.id
            WHERE d.status = 'done' AND a.origin != 'human' AND a.origin NOT LIKE 'import:%'
            GROUP BY a.origin
            """
        ).fetchall()
        totals = {origin: (in_done, kept) for origin, in_done, kept in rows}
        if table == "spans":  # and the suggestions that fell on decided spans
            for origin, (found, found_kept) in _matches_by_origin(project).items():
                in_done, kept = totals.get(origin, (0, 0))
                totals[origin] = (in_done + found, kept + found_kept)
        for origin, (in_done, kept) in totals.items():
            figures[origin, table] = round(kept / in_done, 4)
    return figures
