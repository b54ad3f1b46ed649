"""The preference model: logistic regression from scores (+ embeddings) to "a reviewer would approve this".

Linear on standardised features, so its logit splits into a score part and an embedding part; each is computed
by streaming its own side (the index, the embedding files) and the two are joined on item_id, and an item with
no embedding gets the embedding part of an average item (0 after standardisation).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation_ui.agreement import agreement, held_back_folds
from curation_ui.manifest_index import SCORE_PREFIX
from framesift.schemas.columns import Col


@dataclass
class PreferenceModel:
    keys: list[str]
    median: np.ndarray              # imputation of missing scores
    mean: np.ndarray                # standardisation of [scores, embedding]
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    embedding_dim: int = 0
    info: dict = field(default_factory=dict)

    def score_logit(self, s: np.ndarray) -> np.ndarray:
        s = np.where(np.isnan(s), self.median, s)
        k = len(self.keys)
        return ((s - self.mean[:k]) / self.scale[:k]) @ self.coef[:k]

    def embedding_logit(self, e: np.ndarray) -> np.ndarray:
        k = len(self.keys)
        return ((e - self.mean[k:]) / self.scale[k:]) @ self.coef[k:]

    def summary(self) -> dict:
        weights = {k: round(float(c), 4) for k, c in zip(self.keys, self.coef)}
        return {**self.info, "features": len(self.coef), "score_weights": weights,
                "embedding_dim": self.embedding_dim}


def fit_preference(scores: dict[str, np.ndarray], y: np.ndarray, keys: list[str],
                   embeddings: Optional[tuple[np.ndarray, np.ndarray]], min_labels: int = 6
                   ) -> Optional[PreferenceModel]:
    """None when there are too few approve/reject labels (or only one class) to fit anything meaningful."""
    if len(y) < min_labels or y.sum() in (0, len(y)):
        return None
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    keys = [k for k in keys if not np.isnan(scores[k]).all()]
    s = np.stack([scores[k] for k in keys], axis=1) if keys else np.zeros((len(y), 0))
    median = np.nanmedian(s, axis=0) if keys else np.zeros(0)
    s = np.where(np.isnan(s), median, s)
    dim, info = 0, {"n": int(len(y)), "approved": int(y.sum()), "embeddings": "none"}
    x = s
    if embeddings is not None and embeddings[0].shape[1] and embeddings[1].any():
        e, has = embeddings
        e = np.where(np.isnan(e), np.nanmean(e[has], axis=0), e)
        x, dim = np.concatenate([s, e], axis=1), e.shape[1]
        info["embeddings"] = f"{int(has.sum())} of {len(y)} labelled items, dim {dim}"
    if x.shape[1] == 0:
        return None
    pipe = make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced", C=1.0, max_iter=2000))
    # agreement on held-back decisions: every item predicted by a model fitted without it, against chance
    correct = []
    for train, test in held_back_folds(y):
        correct.append(clone(pipe).fit(x[train], y[train]).predict(x[test]) == y[test])
    info["agreement"] = agreement(np.concatenate(correct) if correct else np.zeros(0, bool), y)
    pipe.fit(x, y)
    scaler, lr = pipe[0], pipe[1]
    scale = np.where(scaler.scale_ == 0, 1.0, scaler.scale_)
    return PreferenceModel(keys, median, scaler.mean_, scale, lr.coef_[0], float(lr.intercept_[0]), dim, info)


def score_all(model: PreferenceModel, query, keys: list[str], embeddings) -> pa.Table:
    """item_id -> preference_score (probability of approval) for every item in the index."""
    cols = [Col.ITEM_ID] + [SCORE_PREFIX + k for k in model.keys]
    parts = []
    for batch in query.batches(cols):
        s = np.stack([batch.column(SCORE_PREFIX + k).to_numpy(zero_copy_only=False).astype(float)
                      if SCORE_PREFIX + k in batch.schema.names else np.full(batch.num_rows, np.nan)
                      for k in model.keys], axis=1) if model.keys else np.zeros((batch.num_rows, 0))
        parts.append(pa.table({Col.ITEM_ID: batch.column(Col.ITEM_ID), "logit": model.score_logit(s)}))
    table = pa.concat_tables(parts) if parts else pa.table({Col.ITEM_ID: pa.array([], pa.string()),
                                                           "logit": pa.array([], pa.float64())})
    logit = table.column("logit").to_numpy() + model.intercept
    if model.embedding_dim and embeddings is not None:
        from framesift.schemas import embeddings_matrix
        emb_parts = []
        for batch in embeddings.to_batches(columns=[Col.ITEM_ID, "embedding"]):
            ids, mat = embeddings_matrix(pa.Table.from_batches([batch]))
            if mat.shape[1] == model.embedding_dim:
                emb_parts.append(pa.table({Col.ITEM_ID: pa.array(ids, pa.string()),
                                           "e": model.embedding_logit(mat.astype(float))}))
        if emb_parts:
            e = pa.concat_tables(emb_parts)
            pos = pc.index_in(table.column(Col.ITEM_ID), e.column(Col.ITEM_ID))
            logit = logit + pc.fill_null(pc.take(e.column("e"), pos), 0.0).to_numpy()
    return pa.table({Col.ITEM_ID: table.column(Col.ITEM_ID),
                     "preference_score": pa.array(1 / (1 + np.exp(-logit)), pa.float64())})
