"""Files cscperf writes: private to their owner, safe to open in a spreadsheet, clean errors.

One home for three rules every writer follows (see docs/security.md, "Files, exports and CLI"):

* **Formula injection** (OWASP "CSV injection"): a text cell that begins with `=`, `+`, `-`, `@`,
  a tab or a carriage return is run as a formula by Excel, LibreOffice and Google Sheets when the
  file is opened, so a child id or free-text field typed as `=HYPERLINK(...)` would become a live
  link or command. Writers prefix such text with an apostrophe (`'=HYPERLINK(...)`), which every
  spreadsheet shows as text. Numbers are not touched: numeric cells are never text, and text that
  is a plain number (`-5`, `+3.5`) is evaluated as that number, not as a formula. Loaders flag
  the same values as warnings with `formula_like_mask`, so the rule lives here once.
* **Private files**: the warehouse, the dashboard's SQLite file (it holds the session-signing key)
  and child-level exports are created mode 0600. DuckDB and SQLite create their own side files
  (write-ahead logs, spill files) later, so processes that hold child-level data also narrow
  their umask with `private_umask`.
* **Clean errors**: a file that cannot be written is a `UserError` naming it, not a traceback.
"""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pandas as pd

from cscperf.errors import UserError

PRIVATE_MODE = 0o600
FORMULA_START = r"^[=+\-@\t\r]"
PLAIN_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
_FORMULA_START = re.compile(FORMULA_START)
_PLAIN_NUMBER = re.compile(PLAIN_NUMBER)
FORMULA_RULE = (
    "begins with =, +, -, @, a tab or a carriage return, so a spreadsheet would run it as a formula; "
    "kept as loaded, and exports write it with a leading apostrophe"
)


# --- formula injection ---------------------------------------------------------------------


def is_formula_like(value: object) -> bool:
    """True for text a spreadsheet would run as a formula (not for numbers, nor text that is a plain number)."""
    return isinstance(value, str) and bool(_FORMULA_START.match(value)) and not _PLAIN_NUMBER.match(value)


def neutralise(value: object) -> object:
    """The value as a spreadsheet must show it: formula-like text gets a leading apostrophe, anything else is unchanged."""
    return "'" + value if is_formula_like(value) else value  # type: ignore[operator]


def formula_like_mask(values: pd.Series) -> pd.Series:
    """`is_formula_like` for a whole column (vectorised; non-text values are False)."""
    if not _is_text_dtype(values):
        return pd.Series(False, index=values.index)
    text = values.astype("string")
    mask = (text.str.match(FORMULA_START, na=False) & ~text.str.match(PLAIN_NUMBER, na=False)).astype(bool)
    if mask.any() and values.dtype == object:  # only text: a float -inf would read as '-inf'
        mask &= values.map(lambda v: isinstance(v, str)).astype(bool)
    return mask


def neutralise_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """(a copy with every formula-like text cell neutralised, how many cells were changed)."""
    out = frame.copy()
    changed = 0
    for col in out.columns:
        mask = formula_like_mask(out[col])
        if mask.any():
            out[col] = out[col].astype(object)
            out.loc[mask, col] = out.loc[mask, col].map(neutralise)  # the mask only spares the other cells a call
            changed += int(mask.sum())
    return out, changed


def _is_text_dtype(values: pd.Series) -> bool:
    return values.dtype == object or isinstance(values.dtype, pd.StringDtype)


def csv_text(frame: pd.DataFrame, **options: object) -> str:
    """The frame as CSV text with formula-like cells neutralised (for downloads)."""
    buffer = io.StringIO()
    neutralise_frame(frame)[0].to_csv(buffer, index=False, **options)
    return buffer.getvalue()


# --- private files -------------------------------------------------------------------------


def private_umask() -> None:
    """From now on, files and folders this process creates are not readable by group or others.

    Needed because DuckDB writes its write-ahead log and spill files, and SQLite its journals,
    whenever they choose, with the process umask. Only ever narrows the umask, so concurrent
    callers cannot widen it again.
    """
    current = os.umask(0o077)
    os.umask(current | 0o077)


def make_private(path: Path) -> None:
    """Tighten an existing file this user owns to 0600 (files made before the rule was in force)."""
    st = os.stat(path)
    if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(path, PRIVATE_MODE)


@contextmanager
def open_private(path: Path, binary: bool = False) -> Iterator[IO]:
    """Open `path` for writing, mode 0600 whether new or replaced; failures are a UserError naming it."""
    path = Path(path)
    make_folder(path.parent, path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
        os.fchmod(fd, PRIVATE_MODE)  # an existing file keeps its old mode through O_TRUNC
        handle = os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""}))
    except OSError as exc:
        raise cannot_write(path, exc) from None
    try:
        with handle:
            yield handle
    except OSError as exc:  # a full disk or a quota while writing
        raise cannot_write(path, exc) from None


def output_folder(path: Path) -> Path:
    """Create (or check) an output folder; a file in the way or an unwritable place is a UserError."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"{path}: exists and is not a folder")
    make_folder(path, path)
    return path


def make_folder(folder: Path, target: Path) -> None:
    """Create `folder` (and its parents) for writing `target`; a file in the way is named in the error."""
    for existing in (folder, *folder.parents):
        if existing.exists():
            if not existing.is_dir():
                raise UserError(f"{target}: cannot write ({existing} is a file, not a folder)")
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise cannot_write(target, exc) from None


def cannot_write(path: Path, exc: OSError) -> UserError:
    return UserError(f"{path}: cannot write ({exc.strerror or exc})")


def write_csv(frame: pd.DataFrame, path: Path, **options: object) -> int:
    """Write a CSV (0600, formula-like text neutralised); returns how many cells were neutralised."""
    safe, changed = neutralise_frame(frame)
    with open_private(path) as fh:
        safe.to_csv(fh, index=False, **options)
    return changed


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write a Parquet file, mode 0600 (values as they are: Parquet is read by programs, not spreadsheets)."""
    with open_private(path, binary=True) as fh:
        frame.to_parquet(fh, index=False)
