"""Every read and write of a run: input formats and records, the output folder, the run's state.

Public names, by module:

- ``dedupe.io.read``: ``read_corpus``, ``iter_batches``, ``frame_batches``, ``lazy_batches``,
  ``expand_inputs``,
  ``ReadResult``, ``STDIN``, ``JSONL_SUFFIXES``, ``JSON_SUFFIXES``;
- ``dedupe.io.records``: ``RawBatch``, ``SOURCE``, ``FALLBACK_ENCODING``, ``is_binary``,
  ``decode_text``, ``invalid_frame``;
- ``dedupe.io.jsonl``: ``jsonl_batches``, ``json_array_batches``, ``parse_jsonl_lines``,
  ``StringFields``;
- ``dedupe.io.tables``: ``table_batches``, ``TABLE_SUFFIXES``;
- ``dedupe.io.folder``: ``folder_batches``, ``list_documents``, ``TEXT_SUFFIXES``,
  ``DOCUMENT_SUFFIXES``;
- ``dedupe.io.html``: ``html_texts``, ``HTML_SUFFIXES`` (needs the ``html`` extra);
- ``dedupe.io.fields``: ``to_corpus``, ``check_fields``, ``InputFields``;
- ``dedupe.io.sample``: ``sample_batches``, ``sample_key``;
- ``dedupe.io.write``: ``Workspace``, ``check_output_path``, ``check_output_file``,
  ``recover_output``, ``lock_against``, ``exchange_folders``, ``writing``, ``write_error``,
  ``no_room_reason``;
- ``dedupe.io.locks``: ``FolderLock``, ``Registration``, ``lock_path``, ``workspaces_folder``,
  ``remove_abandoned_workspaces``, ``is_workspace``, ``new_token``;
- ``dedupe.io.state``: ``meta``, ``check_meta``, ``read_state_meta``, ``read_state_chunks``,
  ``state_tables``.
"""
