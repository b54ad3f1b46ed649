"""Records that cross component boundaries, each defined once: manifest row (and its column names), dead letter,
review decision, embedding, latent example.

Names load on first use (PEP 562), so importing one record (or `framesift.schemas.columns`, which needs nothing)
does not load pyarrow, TFDS helpers and every other record with it."""
import importlib

_EXPORTS = {
    "Col": "columns", "RejectionField": "columns",
    "DeadLetter": "dead_letter",
    "EMBEDDING_SCHEMA": "embedding", "EmbeddingRecord": "embedding", "embeddings_matrix": "embedding",
    "read_embeddings": "embedding", "PICTURE_EMBEDDING": "embedding", "CAPTION_EMBEDDING": "embedding",
    "DATASET_NAME": "latent", "SPLIT": "latent", "latent_features": "latent", "make_example": "latent",
    "LatentDatasetMetadata": "latent_metadata", "ShardInfo": "latent_metadata",
    "MANIFEST_SCHEMA": "manifest", "MANIFEST_VERSION": "manifest", "ManifestRow": "manifest",
    "Rejection": "manifest", "rows_to_table": "manifest", "table_to_rows": "manifest",
    "AUDIT_SCHEMA": "review", "DECISIONS": "review", "PROVENANCE_SCHEMA": "review", "REPRESENTATIVE_SCHEMA": "review",
    "REVIEW_DECISION_SCHEMA": "review", "AuditEntry": "review", "RepresentativeChoice": "review",
    "ReviewDecision": "review",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
