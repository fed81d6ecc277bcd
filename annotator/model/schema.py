"""The label schema: entity labels, relation labels and which label pairs each relation allows."""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from annotator.model.labels import LabelName

_COLOUR = r"^#[0-9a-fA-F]{6}$"


class EntityLabel(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    name: LabelName
    color: str = Field(default="#a0a0a0", pattern=_COLOUR)
    key: str | None = Field(default=None, min_length=1, max_length=1)


class RelationLabel(BaseModel):
    """``allowed`` lists (head label, child label) pairs; an empty list allows every pair."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    name: LabelName
    color: str = Field(default="#606060", pattern=_COLOUR)
    key: str | None = Field(default=None, min_length=1, max_length=1)
    directed: bool = True
    allowed: tuple[tuple[str, str], ...] = ()

    def allows(self, head_label: str, child_label: str) -> bool:
        return not self.allowed or (head_label, child_label) in self.allowed


class LabelSchema(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    entities: tuple[EntityLabel, ...] = ()
    relations: tuple[RelationLabel, ...] = ()

    @field_validator("entities", "relations")
    @classmethod
    def _unique_names_and_keys(cls, labels: tuple) -> tuple:
        names = Counter(label.name for label in labels)  # linear: a crafted file may hold many
        duplicates = sorted(name for name, count in names.items() if count > 1)
        if duplicates:
            raise ValueError(f"label defined twice: {', '.join(duplicates)}")
        keys = Counter(label.key for label in labels if label.key)
        taken = sorted(key for key, count in keys.items() if count > 1)
        if taken:
            raise ValueError(f"key used by two labels: {', '.join(taken)}")
        return labels

    @model_validator(mode="after")
    def _pairs_name_entity_labels(self) -> LabelSchema:
        known = self.entity_names
        for relation in self.relations:
            for head, child in relation.allowed:
                for name in (head, child):
                    if name not in known:
                        raise ValueError(
                            f"relation {relation.name} allows unknown entity label {name}"
                        )
        return self

    @property
    def entity_names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.entities)

    @property
    def relation_names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.relations)

    def entity(self, name: str) -> EntityLabel | None:
        return next((label for label in self.entities if label.name == name), None)

    def relation(self, name: str) -> RelationLabel | None:
        return next((label for label in self.relations if label.name == name), None)

    def relation_labels_for(self, head_label: str, child_label: str) -> tuple[RelationLabel, ...]:
        """The relation labels a (head, child) pair may take: what the UI offers."""
        return tuple(r for r in self.relations if r.allows(head_label, child_label))

    def with_labels(
        self,
        entity_names: set[str] | frozenset[str] = frozenset(),
        relation_pairs: dict[str, set[tuple[str, str]]] | None = None,
    ) -> LabelSchema:
        """A schema extended with labels an import brought; existing labels keep their settings.

        A new label named as in the default schema (PER, ORG, LOC, MISC, works_for, ...) takes
        its colour there, and its key when no label holds it, so LOC looks and types the same
        in every project; the other new entity labels take the free keys 1-9 then 0, in the
        keyboard's order, so each can be typed on a selected span (none left: no key; the
        palette and the schema editor still set one), and the first palette colour that
        neither a label of the schema nor a default label has. New relation labels allow
        exactly the pairs seen; known ones gain any new pair seen unless they already allow
        every pair.
        """
        defaults = default_schema()
        entities = list(self.entities)
        new_names = sorted(set(entity_names) - set(self.entity_names))
        keys = {label.key for label in entities if label.key}
        # the default labels' colours stay theirs: GPE is not ORG's blue in one project
        colours = {label.color for label in (*self.entities, *self.relations, *defaults.entities)}
        added: dict[str, EntityLabel] = {}
        for name in new_names:  # the default labels first: their own key, while it is free
            known = defaults.entity(name)
            if known is not None:
                key = known.key if known.key not in keys else None
                added[name] = EntityLabel(name=name, color=known.color, key=key)
                keys.add(key)
                colours.add(known.color)
        free = iter(key for key in "1234567890" if key not in keys)
        for name in new_names:
            if name in added:
                if added[name].key is None:
                    added[name] = added[name].model_copy(update={"key": next(free, None)})
                continue
            colour = _free_colour(len(entities) + len(added), colours)
            colours.add(colour)
            added[name] = EntityLabel(name=name, color=colour, key=next(free, None))
        entities.extend(added[name] for name in new_names)
        relations = {label.name: label for label in self.relations}
        relation_keys = {label.key for label in self.relations if label.key}
        for name, pairs in sorted((relation_pairs or {}).items()):
            known = relations.get(name)
            if known is None:
                model = defaults.relation(name)
                if model is not None:
                    key = model.key if model.key not in relation_keys else None
                    relation_keys.add(key)
                    colour = model.color
                else:
                    key, colour = None, _palette_colour(len(relations) + 7)
                relations[name] = RelationLabel(
                    name=name, color=colour, key=key, allowed=tuple(sorted(pairs))
                )
            elif known.allowed and not set(pairs) <= set(known.allowed):
                merged = tuple(sorted(set(known.allowed) | set(pairs)))
                relations[name] = known.model_copy(update={"allowed": merged})
        return LabelSchema(entities=tuple(entities), relations=tuple(relations.values()))

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str) -> LabelSchema:
        return cls.model_validate_json(text)


_PALETTE = (
    "#e6194b",
    "#3cb44b",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#46f0f0",
    "#f032e6",
    "#bcf60c",
    "#fabebe",
    "#008080",
    "#e6beff",
    "#9a6324",
    "#800000",
    "#aaffc3",
    "#808000",
    "#ffd8b1",
    "#000075",
    "#808080",
)


def _palette_colour(index: int) -> str:
    return _PALETTE[index % len(_PALETTE)]


def _free_colour(index: int, taken: set[str]) -> str:
    """The palette colour at ``index``, or the next one no label has (wrapping around); when
    every one is taken, the one at ``index``."""
    for step in range(len(_PALETTE)):
        colour = _palette_colour(index + step)
        if colour not in taken:
            return colour
    return _palette_colour(index)


def default_schema() -> LabelSchema:
    """The schema shipped in ``resources/default_schema.json`` (fits the sample corpus)."""
    text = resources.files("annotator.resources").joinpath("default_schema.json").read_text("utf-8")
    return LabelSchema.model_validate(json.loads(text))
