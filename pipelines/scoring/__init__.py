"""Model-based scores: open_clip embeddings through Beam's RunInference, and heads on them (aesthetic, NSFW), plus
caption similarity. The thresholds on these scores live with the other filters (pipelines/filters/aesthetic.py,
nsfw.py, caption_similarity.py); this package only produces the scores and the embeddings.

  clip_model.py    open_clip from a cached tag, a checkpoint file or `untrained`; never a silent download
  heads.py         heads on the embedding (LAION aesthetic MLP, linear) and picture heads (open_nsfw, head_formats/)
  scorer.py        ClipScorer.score_batch: the one batched model call; `score_batch` direct path
  clip_handler.py  RunInference ModelHandler around ClipScorer
  transform.py     EmbedAndScore PTransform, embedding records, merging scores into manifest rows
"""
from pipelines.scoring.weights import WeightsError

__all__ = ["WeightsError"]
