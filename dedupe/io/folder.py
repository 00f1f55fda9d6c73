"""A folder of articles as a corpus: which files are documents, their ids, their text.

Every ``.txt``/``.md`` file is a document, and every ``.html``/``.htm`` file is one as text
lines; the id is the path relative to the folder without the extension. Links are followed
only to files inside the folder. Other files are counted, by extension, never read.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from dedupe.errors import InputError
from dedupe.io.html import HTML_SUFFIXES, html_texts
from dedupe.io.records import SOURCE, Invalid, RawBatch, decode_text, document_problem
from dedupe.schema import DOC_ID, TEXT

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md")
DOCUMENT_SUFFIXES = (*TEXT_SUFFIXES, *HTML_SUFFIXES)
NO_EXTENSION = "(no extension)"
FOLDER_LINK = "(link to a folder)"
SPECIAL_FILE = "(not a regular file)"


def _shown(path: Path) -> str:
    """A path as text that can be printed and stored, whatever bytes its name holds."""
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")


def _is_utf8_name(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def list_documents(folder: Path) -> tuple[list[Path], Counter[str]]:
    """Return the folder's document files, in order, and the other files counted by extension.

    Sub-folders are walked, links to folders are not (they would read files twice or leave
    the folder); they are counted as ``(link to a folder)``.
    """
    documents: list[Path] = []
    others: Counter[str] = Counter()
    for root, folders, files in os.walk(folder, followlinks=False):
        base = Path(root)
        others[FOLDER_LINK] += sum((base / name).is_symlink() for name in folders)
        for name in files:
            path = base / name
            suffix = path.suffix.lower()
            if suffix not in DOCUMENT_SUFFIXES:
                others[suffix or NO_EXTENSION] += 1
            elif not path.is_symlink() and not path.is_file():
                others[SPECIAL_FILE] += 1
            else:
                documents.append(path)
    others = Counter({kind: n for kind, n in others.items() if n})
    return sorted(documents), others


def _outside_link(path: Path, root: Path) -> str | None:
    """Why a linked file is not read (broken, or its target is outside the folder), or None."""
    if not path.is_symlink():
        return None
    target = path.resolve()
    if not target.is_file():
        return "is a broken link; remove it"
    if not target.is_relative_to(root):
        return (
            f"links to '{_shown(target)}', outside the input folder; links are followed only "
            "inside it (pass the target as an input to read it)"
        )
    return None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read '{_shown(path)}': {error.strerror or error}") from None


def folder_batches(folder: Path, batch_size: int) -> Iterator[RawBatch]:
    """Read a folder's documents in batches of ``batch_size`` files.

    Raises:
        InputError: the folder holds no document file, or a file cannot be read.
    """
    paths, others = list_documents(folder)
    if others:
        logger.warning(
            "%s: %d files not read (not %s): %s",
            folder,
            others.total(),
            "/".join(DOCUMENT_SUFFIXES),
            ", ".join(f"{kind} {n}" for kind, n in sorted(others.items())),
        )
    if not paths:
        found = f" (it holds {others.total()} other files)" if others else ""
        raise InputError(
            f"input folder '{_shown(folder)}' holds no {', '.join(DOCUMENT_SUFFIXES)} files"
            f"{found}; pass a folder of articles or a .jsonl, .json, .parquet or .csv file"
        )
    root = folder.resolve()
    for start in range(0, len(paths), batch_size):
        ids: list[str] = []
        texts: list[str] = []
        sources: list[str] = []
        pages: list[int] = []
        invalid: Invalid = []
        fallback = 0
        for path in paths[start : start + batch_size]:
            doc_id = _shown(path.relative_to(folder).with_suffix(""))
            shown = _shown(path)
            problem = _outside_link(path, root)
            if problem is None and not _is_utf8_name(path):
                problem = "file name is not UTF-8; rename the file"
            data = b"" if problem else _read(path)
            if problem is None:
                problem = document_problem(data)
            if problem is not None:
                invalid.append((doc_id, f"{shown}: {problem}"))
                continue
            text, fell_back = decode_text(data)
            if fell_back:
                fallback += 1
                logger.warning("%s is not UTF-8; decoded as Windows-1252", shown)
            if path.suffix.lower() in HTML_SUFFIXES:
                pages.append(len(texts))
            ids.append(doc_id)
            texts.append(text)
            sources.append(shown)
        if pages:
            for index, page in zip(pages, html_texts(texts[i] for i in pages), strict=True):
                texts[index] = page or ""
        frame = pl.DataFrame(
            {DOC_ID: ids, TEXT: texts, SOURCE: sources},
            schema={DOC_ID: pl.String, TEXT: pl.String, SOURCE: pl.String},
        )
        yield RawBatch(frame, invalid, fallback, unsupported=dict(others) if start == 0 else {})
