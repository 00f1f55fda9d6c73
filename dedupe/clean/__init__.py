"""Cleaning: decide every line of a document with one rule, then rewrite its text.

Line rules come in families: built-in patterns and sentence shape (``boilerplate``), lines and
templates learned across a source or the corpus (``learned``), repeated captions
(``captions``) and the whole-page classifier (``page``). ``phases`` runs them in the two
streaming phases of a run (one document at a time, then with what the corpus taught), over the
``(doc_id, line_no, line)`` frame of ``lines``.

Public names, by module:

- ``dedupe.clean.phases``: ``clean_corpus``, ``mark_lines``, ``count_statistics``,
  ``learn_lines``, ``apply_learned``, ``rewrite_texts``, ``merge_learned_reports``;
- ``dedupe.clean.lines``: ``explode_lines``, ``fold_kept_lines`` and the line-frame columns;
- ``dedupe.clean.boilerplate``: ``builtin_rule``, ``user_rule``, ``validate_patterns``;
- ``dedupe.clean.learned``: ``learn_frequent_lines``, ``LEARNED_SCHEMA``,
  ``LEARNED_KEYS_SCHEMA``, ``report_learned_lines``, ``line_skeleton``, ``MONTHS``;
- ``dedupe.clean.captions``: ``find_repeated_captions``, ``cluster_short_lines``,
  ``warm_up_caption_kernels``;
- ``dedupe.clean.page``: ``mark_page_lines``.
"""
