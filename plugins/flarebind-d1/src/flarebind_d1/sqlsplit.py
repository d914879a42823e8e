"""Cut a SQL file or ``--command`` into statements the way ``wrangler d1 execute`` does before its batch.

Comments are dropped, statements end at ``;`` outside quotes (``'…'``, ``"…"``, ```…```, ``$tag$…$tag$``) and
outside ``BEGIN … END`` / ``CASE … END`` bodies. A wrapping ``BEGIN TRANSACTION;`` … ``COMMIT;`` (as SQLite's
``.dump`` writes) is removed because D1 runs the batch in a transaction itself.
"""

from __future__ import annotations

import re

TRANSACTIONS_ERROR = (
    "Wrangler could not process the provided SQL file, as it contains several transactions.\n"
    "D1 runs your SQL in a transaction for you.\n"
    "Please export an SQL file from your SQLite database and try again."
)
_COMPOUND_START = re.compile(r"\s(BEGIN|CASE)\s$", re.IGNORECASE)
_COMPOUND_END = re.compile(r"\sEND[;\s]$", re.IGNORECASE)


class SplitError(Exception):
    pass


def trim_transaction(sql: str) -> str:
    if "BEGIN TRANSACTION" not in sql:
        return sql
    trimmed = sql.replace("BEGIN TRANSACTION;", "", 1).replace("COMMIT;", "", 1)
    if "BEGIN TRANSACTION" in trimmed:
        raise SplitError(TRANSACTIONS_ERROR)
    return trimmed


def split_sql(sql: str) -> list[str]:
    sql = trim_transaction(sql)
    stripped = sql.rstrip()
    semicolon = stripped.find(";")
    if semicolon == -1 or semicolon == len(stripped) - 1:
        return [sql]  # at most one statement: sent as it is
    statements = _split(sql)
    return statements or [sql]


def _split(sql: str) -> list[str]:
    statements: list[str] = []
    current: list[str] = []
    depth = 0
    i, n = 0, len(sql)

    def text() -> str:
        return "".join(current)

    while i < n:
        c = sql[i]
        if depth and _COMPOUND_END.search(text() + c):
            depth -= 1
        if c in "'\"`":
            end = sql.find(c, i + 1)
            end = n - 1 if end == -1 else end
            current.append(sql[i : end + 1])
            i = end + 1
        elif c == "$":
            m = re.match(r"\$[A-Za-z0-9_]*\$?", sql[i:])
            token = m.group() if m else "$"
            current.append(token)
            i += len(token)
            if token.endswith("$") and len(token) > 1:
                end = sql.find(token, i)
                end = n if end == -1 else end + len(token)
                current.append(sql[i:end])
                i = end
        elif sql.startswith("--", i):
            nl = sql.find("\n", i)
            i = n if nl == -1 else nl + 1
            current.append("\n")
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end == -1 else end + 2
        elif c == ";":
            if depth == 0:
                statements.append(text())
                current = []
            else:
                current.append(c)
            i += 1
        else:
            current.append(c)
            i += 1
        if _COMPOUND_START.search(text()):
            depth += 1
    statements.append(text())
    return [s.strip() for s in statements if s.strip()]
