"""Every read and write of a run: input formats and records, the output folder, the run's state.

Public names, by module:

- ``dedupe.io.read``: ``read_corpus``, ``iter_batches``, ``frame_batches``, ``ReadResult``,
  ``STDIN``, ``JSONL_SUFFIXES``, ``TEXT_SUFFIXES``, ``FALLBACK_ENCODING``, ``is_binary``,
  ``parse_jsonl_lines``;
- ``dedupe.io.write``: ``Workspace``, ``check_output_path``, ``check_output_file``,
  ``recover_output``, ``lock_against``, ``exchange_folders``, ``writing``, ``write_error``,
  ``no_room_reason``;
- ``dedupe.io.locks``: ``FolderLock``, ``Registration``, ``lock_path``, ``workspaces_folder``,
  ``remove_abandoned_workspaces``, ``is_workspace``, ``new_token``;
- ``dedupe.io.state``: ``meta``, ``check_meta``, ``read_state_meta``, ``read_state_chunks``,
  ``state_tables``.
"""
