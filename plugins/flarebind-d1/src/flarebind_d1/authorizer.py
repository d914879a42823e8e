"""What SQL a D1 query may run: workerd's SQLite authorizer rules for Durable Object storage (which backs D1).

Denied actions fail with ``not authorized: SQLITE_AUTH``; BEGIN/COMMIT/SAVEPOINT fail with workerd's tailored
transaction message instead. Tables named ``_cf_…`` are off limits. SQLite calls the authorizer when a
statement is prepared, so cached statements pay nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from flarebind_d1 import messages

OK, DENY = 0, 1

# sqlite3.h action codes
CREATE_INDEX, CREATE_TABLE, CREATE_TEMP_INDEX, CREATE_TEMP_TABLE, CREATE_TEMP_TRIGGER = 1, 2, 3, 4, 5
CREATE_TEMP_VIEW, CREATE_TRIGGER, CREATE_VIEW, DELETE, DROP_INDEX, DROP_TABLE = 6, 7, 8, 9, 10, 11
DROP_TRIGGER, DROP_VIEW, INSERT, PRAGMA, READ, SELECT, TRANSACTION, UPDATE = 16, 17, 18, 19, 20, 21, 22, 23
ATTACH, DETACH, ALTER_TABLE, REINDEX, ANALYZE, CREATE_VTABLE, DROP_VTABLE = 24, 25, 26, 27, 28, 29, 30
FUNCTION, SAVEPOINT, RECURSIVE = 31, 32, 33

# workerd's allow-list (src/workerd/util/sqlite.c++); anything else fails as not authorized
ALLOWED_FUNCTIONS = frozenset(
    (
        "abs",
        "changes",
        "char",
        "coalesce",
        "concat",
        "concat_ws",
        "format",
        "glob",
        "hex",
        "ifnull",
        "iif",
        "instr",
        "last_insert_rowid",
        "length",
        "like",
        "likelihood",
        "likely",
        "load_extension",
        "lower",
        "ltrim",
        "max_scalar",
        "min_scalar",
        "nullif",
        "octet_length",
        "printf",
        "quote",
        "random",
        "randomblob",
        "replace",
        "round",
        "rtrim",
        "sign",
        "soundex",
        "substr",
        "substring",
        "total_changes",
        "trim",
        "typeof",
        "unhex",
        "unicode",
        "unlikely",
        "upper",
        "zeroblob",
        "date",
        "time",
        "datetime",
        "julianday",
        "unixepoch",
        "strftime",
        "timediff",
        "current_date",
        "current_time",
        "current_timestamp",
        "avg",
        "count",
        "group_concat",
        "max",
        "min",
        "string_agg",
        "sum",
        "total",
        "row_number",
        "rank",
        "dense_rank",
        "percent_rank",
        "cume_dist",
        "ntile",
        "lag",
        "lead",
        "first_value",
        "last_value",
        "nth_value",
        "acos",
        "acosh",
        "asin",
        "asinh",
        "atan",
        "atan2",
        "atanh",
        "ceil",
        "cos",
        "cosh",
        "degrees",
        "exp",
        "floor",
        "ln",
        "log",
        "log2",
        "mod",
        "pi",
        "pow",
        "radians",
        "sin",
        "sinh",
        "sqrt",
        "tan",
        "tanh",
        "trunc",
        "json",
        "jsonb",
        "json_array",
        "jsonb_array",
        "json_array_length",
        "json_extract",
        "jsonb_extract",
        "->",
        "->>",
        "json_insert",
        "jsonb_insert",
        "json_object",
        "jsonb_object",
        "json_patch",
        "jsonb_patch",
        "json_remove",
        "jsonb_remove",
        "json_replace",
        "jsonb_replace",
        "json_set",
        "jsonb_set",
        "json_type",
        "json_valid",
        "json_quote",
        "json_group_array",
        "jsonb_group_array",
        "json_group_object",
        "jsonb_group_object",
        "json_each",
        "json_tree",
        "match",
        "highlight",
        "bm25",
        "snippet",
        "rtreecheck",
        "sqlite_rename_column",
        "sqlite_rename_table",
        "sqlite_rename_test",
        "sqlite_drop_column",
        "sqlite_rename_quotefix",
    )
)

_NO_ARG_PRAGMAS = {"data_version", "page_size"}
_BOOLEAN_PRAGMAS = {
    "case_sensitive_like",
    "foreign_keys",
    "defer_foreign_keys",
    "ignore_check_constraints",
    "legacy_alter_table",
    "recursive_triggers",
    "reverse_unordered_selects",
}
_BOOLEAN_WORDS = ("true", "false", "yes", "no", "on", "off", "1", "0")
_OBJECT_PRAGMAS = {"foreign_key_list", "index_info", "index_list", "index_xinfo"}


def allowed_name(name: str) -> bool:
    # workerd blocks the exact prefix; other casings only draw a warning there
    return not name.startswith("_cf_")


def _allowed_pragma(pragma: str, arg: str | None) -> bool:
    if pragma == "table_list":
        return True
    if pragma in ("table_info", "table_xinfo"):
        return arg is not None and allowed_name(arg)
    if pragma in _NO_ARG_PRAGMAS:
        return arg is None
    if pragma in _BOOLEAN_PRAGMAS:
        if arg is None:
            return True
        val = arg
        if len(val) >= 2 and val[0] in "'\"" and val[-1] == val[0]:
            val = val[1:-1]
        return val.lower().startswith(_BOOLEAN_WORDS)
    if pragma in _OBJECT_PRAGMAS:
        return arg is not None and allowed_name(arg)
    if pragma == "foreign_key_check":
        return arg is None or allowed_name(arg)
    if pragma == "quick_check":
        return arg is None or arg.isdigit() or allowed_name(arg)
    if pragma == "optimize":
        if arg is None:
            return True
        try:
            int(arg, 0)
        except ValueError:
            return False
        return True
    return False


class Authorizer:
    """The callback for ``Connection.set_authorizer``; ``trusted`` lets flarebind's own statements through."""

    __slots__ = ("error", "trusted")

    def __init__(self) -> None:
        self.trusted = False
        self.error: str | None = None  # a tailored message for the last denial, if any

    def __call__(self, action: int, arg1: str | None, arg2: str | None, db: str | None, source: str | None) -> int:
        if self.trusted:  # first: pragma functions re-authorize on every run, keep flarebind's own calls cheap
            return OK
        if action in (ALTER_TABLE, DETACH):
            # SQLite passes the database name first for these two (workerd swaps them back the same way)
            arg1, arg2, db = arg2, db, arg1
        if db is not None and db != "main":
            if db == "temp":
                return OK if action in (READ, UPDATE) and arg1 is not None and allowed_name(arg1) else DENY
            return DENY
        return OK if self._allowed(action, arg1, arg2) else DENY

    def _allowed(self, action: int, arg1: str | None, arg2: str | None) -> bool:
        if action in (SELECT, RECURSIVE, ANALYZE):
            return True
        if action in (CREATE_TABLE, DELETE, DROP_TABLE, INSERT, CREATE_VIEW, DROP_VIEW, REINDEX, READ, UPDATE):
            return arg1 is not None and allowed_name(arg1)
        if action == ALTER_TABLE:
            return arg1 is not None and allowed_name(arg1) and (arg2 is None or allowed_name(arg2))
        if action in (CREATE_INDEX, DROP_INDEX, CREATE_TRIGGER, DROP_TRIGGER):
            return arg1 is not None and arg2 is not None and allowed_name(arg1) and allowed_name(arg2)
        if action in (TRANSACTION, SAVEPOINT):
            self.error = messages.TRANSACTION_REFUSED
            return False
        if action == PRAGMA:
            return arg1 is not None and _allowed_pragma(arg1.lower(), arg2)
        if action == FUNCTION:
            return arg2 is not None and arg2.lower() in ALLOWED_FUNCTIONS
        if action in (CREATE_VTABLE, DROP_VTABLE):
            return (
                (arg2 or "").lower() in ("fts5", "fts5vocab", "rtree", "rtree_i32")
                and arg1 is not None
                and allowed_name(arg1)
            )
        return False  # ATTACH, DETACH, temp objects, anything unknown


def install(conn: object) -> Authorizer:
    auth = Authorizer()
    set_authorizer: Callable[[Authorizer], None] = conn.set_authorizer  # type: ignore[attr-defined]
    set_authorizer(auth)
    return auth
