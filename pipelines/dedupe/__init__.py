"""Dedupe: exact, perceptual near-duplicate and semantic groups; one representative kept per group.

  exact_keys.py          what makes two records the same content
  chunk_plan.py          multi-index hashing keys (exact search for all pairs within d bits)
  near_pairs.py          that search on one machine (numpy); near_pairs_beam.py: in Beam
  components.py          union-find / scipy components; components_beam.py: large-star/small-star in Beam
  semantic.py            SemDeDup: k-means, then cosine >= 1 - epsilon within clusters; semantic_beam.py: in Beam
  representative.py      which member a group keeps, and the manifest fields it writes
  graph_nodes.py         the item / content-node graph both paths build; CONTENT_KINDS: the one list of evidence
  dedupe_transform.py    `Dedupe`, the composite Beam transform; dedupe_local.py: the same on one machine
  dedupe_one_worker.py   `DedupeOnOneWorker`: dedupe_local inside the job, for runs that fit one worker
  dedupe_index.py        the persisted index (RUN_DIR/dedupe_index/), read back by --dedupe-against
"""
