"""Records that cross component boundaries, each defined once: manifest row, dead letter, review decision,
latent example."""
from framesift.schemas.dead_letter import DeadLetter
from framesift.schemas.embedding import EMBEDDING_SCHEMA, EmbeddingRecord, embeddings_matrix
from framesift.schemas.latent import DATASET_NAME, SPLIT, latent_features, make_example
from framesift.schemas.latent_metadata import LatentDatasetMetadata, ShardInfo
from framesift.schemas.manifest import (MANIFEST_SCHEMA, MANIFEST_VERSION, Col, ManifestRow, Rejection,
                                        RejectionField, rows_to_table, table_to_rows)
from framesift.schemas.review import (AUDIT_SCHEMA, DECISIONS, PROVENANCE_SCHEMA, REPRESENTATIVE_SCHEMA,
                                      REVIEW_DECISION_SCHEMA, AuditEntry, RepresentativeChoice, ReviewDecision)

__all__ = ["EMBEDDING_SCHEMA", "EmbeddingRecord", "embeddings_matrix", "DeadLetter", "DATASET_NAME", "SPLIT",
           "latent_features", "make_example", "LatentDatasetMetadata", "ShardInfo", "MANIFEST_SCHEMA",
           "MANIFEST_VERSION", "Col", "ManifestRow", "Rejection", "RejectionField", "rows_to_table",
           "table_to_rows", "DECISIONS", "REVIEW_DECISION_SCHEMA", "ReviewDecision", "AUDIT_SCHEMA", "AuditEntry",
           "PROVENANCE_SCHEMA", "REPRESENTATIVE_SCHEMA", "RepresentativeChoice"]
