"""Duplicates: which documents are copies of which, and the one copy each cluster keeps.

Exact duplicates share a content key (``exact``); near duplicates share MinHash LSH buckets
(``shingles``, ``minhash``, ``lsh``, kept per document as ``fingerprints``) and pass
verification by Jaccard or containment (``verify``); ``leads`` adds candidates by each
document's opening and the rule for very short documents, ``places`` reads the facts of texts
and ``facts`` vetoes merging templated reports whose facts are substituted; ``near`` runs
that stage, ``clusters`` guards its chains, and ``canonical`` ranks the copies so the one to
keep comes first.

Public names, by module:

- ``dedupe.duplicates.exact``: ``add_content_keys``, ``mark_exact_duplicates``;
- ``dedupe.duplicates.canonical``: ``rank_documents``, ``rank_columns``;
- ``dedupe.duplicates.shingles``: ``fingerprint_arrays``, ``shingle_hashes_with_leads``,
  ``text_hashes``, ``string_buffers``, ``decode_code_point``, ``unknown_code_points`` (and
  the NumPy references ``numpy_shingle_sets``, ``numpy_text_hashes``);
- ``dedupe.duplicates.minhash``: ``compute_signatures``, ``signature_into``, ``permutations``,
  ``EMPTY_HASH`` (reference: ``numpy_signatures``);
- ``dedupe.duplicates.lsh``: ``optimal_bands_rows``, ``find_candidate_pairs``, ``band_key_matrix``
  (reference: ``band_keys``), ``bucket_pairs``;
- ``dedupe.duplicates.verify``: ``score_pairs``, ``intersections`` (reference:
  ``numpy_intersections``);
- ``dedupe.duplicates.fingerprints``: ``Fingerprints``, ``FingerprintSet``,
  ``SavedFingerprints``, ``fingerprint``;
- ``dedupe.duplicates.near``: ``mark_near_duplicates``, ``mark_canonicals``, ``lsh_parameters``,
  ``warm_up_kernels``, ``is_plausible``, ``PairScorer``, ``PairScores``, ``RuledScorer``,
  ``CachedCheck``, ``decided_by_containment``, ``FingerprintsAndTexts``,
  ``ScoredCandidates``, ``mark_scored_near_duplicates``;
- ``dedupe.duplicates.clusters``: ``assign_canonicals``, ``closest_canonicals``;
- ``dedupe.duplicates.leads``: ``find_lead_candidates``, ``openings``, ``opening_signatures``,
  ``lead_signature_column``, ``corpus_opening_signatures``, ``ShortDocumentRule``;
- ``dedupe.duplicates.places``: ``fact_places`` (reference: ``polars_fact_places``),
  ``FACTS_TYPE``;
- ``dedupe.duplicates.facts``: ``fact_places``, ``substituted_facts``, ``is_vetoed``,
  ``name_similarities``, ``FactCheck``, ``facts_from_texts``, ``corpus_texts``.
"""
