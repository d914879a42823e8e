"""Exact message texts D1 produces (workerd's d1-api, Miniflare's D1 object, workerd's SQLite wrapper).

Observed with Miniflare 4.20260426 / workerd and checked against the sources; see docs/bindings/d1.md.
"""

from __future__ import annotations

NO_STATEMENTS = "No SQL statements detected."
NO_STATEMENT_IN_CODE = "SQL code did not contain a statement."
WRONG_PARAM_COUNT = "Wrong number of parameter bindings for SQL query."
MULTI_STATEMENT_PARAMS = (
    "When executing multiple SQL statements in a single call, only the last statement can have parameters."
)
# workerd refuses SQL transactions in Durable Object storage (which backs local D1) with this text.
TRANSACTION_REFUSED = (
    "To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() APIs "
    "instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements. The JavaScript API is safer because it will "
    "automatically roll back on exceptions, and because it interacts correctly with Durable Objects' automatic "
    "atomic write coalescing."
)
STATEMENT_TOO_LONG = "statement too long: SQLITE_TOOBIG"
SESSION_INVALID = "D1_SESSION_ERROR: invalid bookmark or constraint"


def column_not_found(column: str) -> str:
    return f"D1_COLUMN_NOTFOUND: Column not found ({column})"


def type_not_supported(js_type: str, js_value: str) -> str:
    return f"Type '{js_type}' not supported for value '{js_value}'"


# D1's documented error for a query past its time limit ("Maximum SQL query duration": 30 s)
QUERY_TIME_LIMIT = "D1 DB exceeded its CPU time limit and was reset."
