"""Reviewing a run from its output folder: explanations, word diffs, the review page.

Public names: ``explain``, ``explanation_text``, ``Explanation``, ``read_output``,
``OutputTables``, ``label_of``, ``where_from``, ``text_of`` (``explain``); ``word_diff``,
``diff_text``, ``DiffSegment`` (``diff``); ``write_review_page`` (``page``);
``describe_clusters`` (``clusters``).
"""
