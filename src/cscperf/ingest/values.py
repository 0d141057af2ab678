"""Helpers shared by every loader: dates, codes, reading text files of unknown encoding.

Scalar helpers (`parse_date`, `clean_code`) serve XML and JSON parsers that walk records one at a
time; the `*_series` helpers do the same job vectorised for CSV and database inputs, where a
Python loop per row would be far too slow for 100,000 children.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from cscperf.errors import UserError

DATE_RULE = "not a real date (expected YYYY-MM-DD or DD/MM/YYYY)"
EXCEL_EPOCH = dt.date(1899, 12, 30)
MIN_YEAR, MAX_YEAR = 1900, 2100
ENCODINGS = ("utf-8-sig", "utf-8", "cp1252")

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: .*)?$")
_SERIAL = re.compile(r"^\d{1,6}(?:\.0+)?$")
_MISSING = {"", "nan", "nat", "none", "null", "na", "n/a"}


def is_blank(value: object) -> bool:
    """True for None, NaN/NaT and empty or placeholder strings ('NULL', 'n/a')."""
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    if value is pd.NaT:
        return True
    return isinstance(value, str) and value.strip().lower() in _MISSING


def parse_date(value: object) -> dt.date | None:
    """A date from ISO, DD/MM/YYYY, DD-MM-YYYY, a datetime string or an Excel serial number.

    Blank values give None; anything else that is not a real date raises ValueError with a
    reason a performance officer can act on.
    """
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return _check_year(value.date())
    if isinstance(value, dt.date):
        return _check_year(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return _from_serial(float(value))
    text = str(value).strip()
    if m := _ISO.match(text):
        return _build(int(m[1]), int(m[2]), int(m[3]), text)
    if m := _DMY.match(text):
        return _build(int(m[3]), int(m[2]), int(m[1]), text)
    if _SERIAL.match(text):
        return _from_serial(float(text))
    raise ValueError(DATE_RULE)


def _build(year: int, month: int, day: int, text: str) -> dt.date:
    try:
        return _check_year(dt.date(year, month, day))
    except ValueError as exc:
        if "out of range" in str(exc) or "must be in" in str(exc):
            raise ValueError("not a real date (no such day in the calendar)") from None
        raise


def _from_serial(number: float) -> dt.date:
    if not number.is_integer() or not 1 <= number <= 80000:
        raise ValueError(DATE_RULE)
    return _check_year(EXCEL_EPOCH + dt.timedelta(days=int(number)))


def _check_year(value: dt.date) -> dt.date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"date outside {MIN_YEAR}-{MAX_YEAR}")
    return value


def parse_date_series(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Vectorised `parse_date`: (datetime64 series with NaT for blanks/bad values, mask of bad values)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.to_datetime(values).dt.normalize()
        bad = parsed.notna() & ((parsed.dt.year < MIN_YEAR) | (parsed.dt.year > MAX_YEAR))
        return parsed.mask(bad), bad
    text = values.astype("string[pyarrow]").str.strip()
    blank = text.isna() | text.str.lower().isin(_MISSING)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    iso = text.str.extract(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
    dmy = text.str.extract(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: .*)?$")
    serial = text.where(text.str.fullmatch(r"\d{1,6}(?:\.0+)?").to_numpy(dtype=bool, na_value=False))
    for year, month, day in ((iso[0], iso[1], iso[2]), (dmy[2], dmy[1], dmy[0])):
        out = out.fillna(_ymd_to_datetime(year, month, day))
    days = pd.to_numeric(serial, errors="coerce")
    days = days.where((days >= 1) & (days <= 80000))
    out = out.fillna(pd.Timestamp(EXCEL_EPOCH) + pd.to_timedelta(days, unit="D"))
    out = out.where((out.dt.year >= MIN_YEAR) & (out.dt.year <= MAX_YEAR))
    bad = ~blank.to_numpy(dtype=bool, na_value=True) & out.isna().to_numpy()
    return out, pd.Series(bad, index=values.index)


def _ymd_to_datetime(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """Dates from text parts; years outside MIN_YEAR..MAX_YEAR and impossible days become NaT (never an overflow)."""
    y = pd.to_numeric(year, errors="coerce")
    ok = ((y >= MIN_YEAR) & (y <= MAX_YEAR)).to_numpy(dtype=bool, na_value=False)
    text = (year + "-" + month.str.zfill(2) + "-" + day.str.zfill(2)).astype(object).where(ok, None)
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")


def clean_code(value: object) -> str | None:
    """A code as stored: trimmed, upper case, None when blank. '1.0' from spreadsheets becomes '1'."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip().upper()
    return text[:-2] if re.fullmatch(r"\d+\.0", text) else text


def clean_code_series(values: pd.Series) -> pd.Series:
    """Vectorised `clean_code` (object series of str/None)."""
    text = clean_text_series(values)
    text = text.str.upper().str.replace(r"^(\d+)\.0$", r"\1", regex=True)
    return text.astype(object).where(text.notna(), None)


def clean_text_series(values: pd.Series) -> pd.Series:
    """Trimmed strings with blanks and placeholders as missing (pandas string dtype)."""
    text = values.astype("string[pyarrow]").str.strip()  # Arrow kernels: no Python call per value
    placeholder = text.str.lower().isin(_MISSING).to_numpy(dtype=bool, na_value=False)
    return text.mask(placeholder)


def text_series(values: pd.Series) -> pd.Series:
    """`clean_text_series` as plain objects (str or None), which numpy-backed pandas operations expect."""
    text = clean_text_series(values)
    return text.astype(object).where(text.notna(), None)


def detect_encoding(data: bytes) -> str:
    """The first of utf-8-sig, utf-8, cp1252 that decodes the bytes (cp1252 is what Excel writes)."""
    for encoding in ENCODINGS:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def read_text(path: Path) -> str:
    """The text of a file whatever its encoding; a missing or unreadable file is a UserError."""
    data = read_bytes(path)
    return data.decode(detect_encoding(data))


def read_bytes(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, expected a file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror})") from None


def read_csv(path: Path) -> pd.DataFrame:
    """A CSV as strings (no type guessing), headers trimmed; empty or malformed files are a UserError."""
    import io

    data = read_bytes(path)
    if not data.strip():
        raise UserError(f"{path}: the file is empty")
    try:
        frame = pd.read_csv(
            io.BytesIO(data), dtype=str, keep_default_na=False, encoding=detect_encoding(data), skipinitialspace=False, on_bad_lines="error"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not a readable CSV file ({str(exc).splitlines()[0]})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def xml_syntax_error(path: Path, exc: Exception) -> UserError:
    """One line for an lxml syntax error: the line number and the first line of libxml2's message.

    libxml2 ends its messages with a newline and, for some errors (an unfinished CDATA section),
    goes on to quote the input on the next lines: that would break the one-line error and could
    print a child's data, so only the first line is kept.
    """
    position = getattr(exc, "position", None)
    line = getattr(exc, "lineno", None) or (position[0] if position else "?")
    message = str(getattr(exc, "msg", None) or exc).split(", line")[0]
    first = message.strip().splitlines()[0].strip() if message.strip() else "syntax error"
    return UserError(f"{path}: line {line}: not well-formed XML ({first})")


def refuse_doctype(root: object, path: Path, kind: str) -> None:
    """Refuse an XML file with a document type declaration: DfE's returns never have one, and one can
    declare entities (a few lines that expand to gigabytes) or fetch outside files. `root` is an lxml
    element of the parsed document."""
    doctype = root.getroottree().docinfo.doctype  # type: ignore[attr-defined]
    if doctype:
        raise UserError(
            f"{path}: has a document type declaration ({doctype[:60]}): {kind} files have none, "
            "and entity or DTD declarations are refused for safety; export the file again from the case system"
        )
