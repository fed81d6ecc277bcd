"""Document vectors for spreading a sample over a pool (``annotator sample --strategy diverse``).

A pipeline with word vectors gives ``Doc.vector`` (the mean of its tokens' vectors; only the
tokenizer runs). Without vectors (``blank``, ``*_sm``), the tokens' lowercased forms are hashed
into a fixed number of buckets (a bag of words), which still tells topics apart.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

import numpy as np

from annotator.suggest.pipelines import LoadedPipeline

HASHED_DIMENSIONS = 512


def uses_word_vectors(pipeline: LoadedPipeline) -> bool:
    return pipeline.nlp.vocab.vectors.shape[0] > 0


def document_vectors(
    pipeline: LoadedPipeline, texts: Iterable[str], count: int, batch_size: int = 256
) -> np.ndarray:
    """One unit-length row per text (``count`` texts), float32; an empty text gives zeros."""
    nlp = pipeline.nlp
    with_vectors = uses_word_vectors(pipeline)
    width = nlp.vocab.vectors.shape[1] if with_vectors else HASHED_DIMENSIONS
    matrix = np.zeros((count, width), dtype=np.float32)
    for row, doc in enumerate(nlp.tokenizer.pipe(texts, batch_size=batch_size)):
        if with_vectors:
            matrix[row] = doc.vector
        else:
            for token in doc:
                if not (token.is_punct or token.is_space):
                    matrix[row, zlib.crc32(token.lower_.encode()) % width] += 1.0
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
