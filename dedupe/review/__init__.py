"""Reviewing a run from its output folder: explanations, word diffs, the review page.

Public names, by module:

- ``dedupe.review.explain``: ``explain``, ``explanation_text``, ``Explanation``, ``Member``,
  ``RemovedLine``, ``read_output``, ``tables_of``, ``OutputTables``, ``label_of``,
  ``where_from``, ``text_of``;
- ``dedupe.review.diff``: ``word_diff``, ``diff_text``, ``shorten``, ``DiffSegment``;
- ``dedupe.review.page``: ``write_review_page``, ``review_data``, ``render_review_page``,
  ``PAGE`` (``report.html``; assets in ``assets/``: Chart.js 4.6.1 with its MIT licence);
- ``dedupe.review.clusters``: ``describe_clusters``.
"""
