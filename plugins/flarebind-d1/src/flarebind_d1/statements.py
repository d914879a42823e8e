"""How D1 cuts the SQL text of one ``prepare`` into statements, decided once per distinct text and cached.

Local D1 runs a query through Miniflare's D1 object and workerd's SQLite wrapper:
- text that is only whitespace and ``--`` comments on indented lines is "no statements" (Miniflare's filter);
- otherwise statements run one after the other; after each, only whitespace is skipped, so a trailing comment
  or a stray ``;`` is an empty statement and fails with "SQL code did not contain a statement.";
- only the last statement may have parameters; the result is the last statement's;
- a NUL ends the text for SQLite's tokenizer, and what follows is an empty statement.
"""

from __future__ import annotations

import re
import sqlite3

from flarebind_d1 import messages

MAX_SQL_BYTES = 100_000
_WHITESPACE = " \t\n\r\v\f"
# Miniflare drops queries that are nothing but whitespace and comments on indented lines (note `\s+`: a comment
# at the very start of the text is NOT dropped, and then fails later as "did not contain a statement").
_MINIFLARE_COMMENT = re.compile(r"^\s+--.*", re.MULTILINE)


class Plan:
    """The statements of one SQL text. ``single`` means the text can go to sqlite3 as it is."""

    __slots__ = ("blank", "insert", "pragma", "readonly", "segments", "single", "too_long")

    def __init__(self, blank: bool, too_long: bool, segments: tuple[str | None, ...]) -> None:
        self.blank = blank
        self.too_long = too_long
        self.segments = segments  # None marks an empty statement (fails when reached)
        self.single = not blank and not too_long and len(segments) == 1 and segments[0] is not None
        # reads cannot change the database, so their result needs no size or row-id bookkeeping
        self.readonly = bool(segments) and all(s is not None and _is_read(s) for s in segments)
        # a plain INSERT (no REPLACE, upsert or trigger-prone keywords) only ever adds pages
        self.insert = self.single and _is_plain_insert(segments[0])  # type: ignore[arg-type]
        # PRAGMAs such as foreign_keys do nothing inside a transaction: they always run on their own
        self.pragma = self.single and _strip_leading_comments(segments[0])[:6].upper() == "PRAGMA"  # type: ignore[index]


def is_blank(sql: str) -> bool:
    """Miniflare's "No SQL statements detected." test."""
    if not sql.strip():
        return True
    if "--" not in sql:
        return False
    return not _MINIFLARE_COMMENT.sub("", sql).strip()


def make_plan(sql: str) -> Plan:
    if is_blank(sql):
        return Plan(True, False, ())
    if len(sql) * 4 > MAX_SQL_BYTES and len(sql.encode("utf-8")) > MAX_SQL_BYTES:
        return Plan(False, True, ())
    nul = sql.find("\0")
    if nul != -1:
        # SQLite's tokenizer ends the text at a NUL; workerd then finds the rest (starting with the NUL) is not
        # whitespace and prepares it as one more statement, which is empty: the text before the NUL runs (or fails
        # with SQLite's own error) and then "SQL code did not contain a statement."
        head = tuple(None if _is_empty_statement(s) else s for s in split_statements(sql[:nul]))
        return Plan(False, False, (*head, None))
    segments = tuple(None if _is_empty_statement(s) else s for s in split_statements(sql))
    return Plan(False, False, segments)


def split_statements(sql: str) -> list[str]:
    """Cut ``sql`` where SQLite's own tokenizer sees a complete statement (strings, comments, trigger bodies).

    The remainder after the last complete statement is a statement of its own unless it is only whitespace.
    """
    segments: list[str] = []
    start = 0
    i = sql.find(";")
    while i != -1:
        candidate = sql[start : i + 1]
        if sqlite3.complete_statement(candidate):
            segments.append(candidate)
            start = i + 1
        i = sql.find(";", i + 1)
    rest = sql[start:]
    if rest.strip(_WHITESPACE):
        segments.append(rest)
    return segments


_WRITE_WORD = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


def _is_read(segment: str) -> bool:
    """A statement that only reads: SELECT/VALUES/EXPLAIN, or WITH … without a write keyword anywhere."""
    body = _strip_leading_comments(segment)
    word = body[:7].upper()
    if word.startswith(("SELECT", "VALUES", "EXPLAIN")):
        return True
    if word.startswith("WITH"):
        return _WRITE_WORD.search(body) is None
    return False


_NOT_PLAIN_INSERT = re.compile(r"\b(REPLACE|CONFLICT|UPDATE|DELETE)\b", re.IGNORECASE)


def _is_plain_insert(segment: str) -> bool:
    return _strip_leading_comments(segment)[:6].upper() == "INSERT" and _NOT_PLAIN_INSERT.search(segment) is None


def _is_empty_statement(segment: str) -> bool:
    """True when SQLite would prepare no statement from ``segment`` (only comments, or nothing before ``;``)."""
    s = _strip_leading_comments(segment)
    return not s or s.startswith(";")


def _strip_leading_comments(segment: str) -> str:
    s = segment
    while True:
        s = s.lstrip(_WHITESPACE)
        if s.startswith("--"):
            nl = s.find("\n")
            s = "" if nl == -1 else s[nl + 1 :]
        elif s.startswith("/*"):
            end = s.find("*/", 2)
            s = "" if end == -1 else s[end + 2 :]
        else:
            break
    return s


class PlanCache:
    """Plans by SQL text; bounded so one-off dynamic SQL cannot grow it without limit."""

    __slots__ = ("_plans", "_size")

    def __init__(self, size: int = 1024) -> None:
        self._plans: dict[str, Plan] = {}
        self._size = size

    def get(self, sql: str) -> Plan:
        plan = self._plans.get(sql)
        if plan is None:
            if len(self._plans) >= self._size:
                self._plans.clear()
            plan = self._plans[sql] = make_plan(sql)
        return plan


__all__ = ["MAX_SQL_BYTES", "Plan", "PlanCache", "is_blank", "make_plan", "messages", "split_statements"]
