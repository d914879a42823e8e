"""D1 conformance: the binding interface, run against every available path (local; remote when enabled).

Expected values are what D1 answers locally (Miniflare's D1 object on workerd), observed with Miniflare 4.20260426.
"""

from __future__ import annotations

import datetime as dt

import pytest
from flarebind.errors import JsException

SCHEMA = (
    "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, n REAL, b BLOB, "
    "c INTEGER CHECK (c IS NULL OR c > 0));"
)


@pytest.fixture
async def db(make_binding):
    database = await make_binding("d1", {"database_id": "conf-db"})
    await database.exec(SCHEMA)
    return database


async def error_of(awaitable) -> str:
    with pytest.raises(JsException) as info:
        await awaitable
    return str(info.value)


# -- result shapes -------------------------------------------------------------------------------------------------


async def test_run_returns_success_meta_and_empty_results(db):
    result = await db.prepare("INSERT INTO t (name, n) VALUES (?, ?)").bind("a", 1.5).run()
    assert result["success"] is True
    assert result.results == []
    meta = result.meta
    assert meta["changes"] == 1
    assert meta["last_row_id"] == 1
    assert meta["changed_db"] is True
    assert meta["rows_written"] >= 1
    assert meta["size_after"] > 0 and meta["size_after"] % 4096 == 0
    assert isinstance(meta["duration"], (int, float))
    assert meta["served_by"]


async def test_all_returns_rows_as_objects_with_attribute_access(db):
    await db.prepare("INSERT INTO t (name, n, b) VALUES (?, ?, ?)").bind("a", 1.5, b"\x01\x02\xff").run()
    result = await db.prepare("SELECT * FROM t WHERE name = ?").bind("a").all()
    assert result.success is True
    assert result.results == [{"id": 1, "name": "a", "n": 1.5, "b": [1, 2, 255], "c": None}]
    assert result.results[0].name == "a"
    assert result.meta["changes"] == 0
    assert result.meta["changed_db"] is False
    assert result.meta["rows_read"] >= 1


async def test_first_returns_row_column_or_none(db):
    await db.prepare("INSERT INTO t (name) VALUES ('a')").run()
    stmt = db.prepare("SELECT id, name, c FROM t WHERE name = ?")
    assert await stmt.bind("a").first() == {"id": 1, "name": "a", "c": None}
    assert await stmt.bind("a").first("name") == "a"
    assert await stmt.bind("a").first("c") is None
    assert await stmt.bind("zz").first() is None
    assert await stmt.bind("zz").first("nope") is None  # no rows: no column check
    assert await error_of(stmt.bind("a").first("nope")) == "D1_COLUMN_NOTFOUND: Column not found (nope)"


async def test_raw_with_and_without_column_names(db):
    await db.batch([db.prepare("INSERT INTO t (name) VALUES (?)").bind(n) for n in ("a", "b")])
    stmt = db.prepare("SELECT id, name FROM t ORDER BY id")
    assert await stmt.raw() == [[1, "a"], [2, "b"]]
    assert await stmt.raw(columnNames=True) == [["id", "name"], [1, "a"], [2, "b"]]
    assert await stmt.raw({"columnNames": True}) == [["id", "name"], [1, "a"], [2, "b"]]
    assert await db.prepare("SELECT id, name FROM t WHERE 0").raw(columnNames=True) == [["id", "name"]]


async def test_duplicate_column_names(db):
    assert (await db.prepare("SELECT 1 AS a, 2 AS a").all()).results == [{"a": 2}]
    assert await db.prepare("SELECT 1 AS a, 2 AS a").raw(columnNames=True) == [["a", "a"], [1, 2]]


async def test_run_on_a_select_returns_its_rows(db):
    result = await db.prepare("SELECT 1 AS a UNION ALL SELECT 2").run()
    assert result.results == [{"a": 1}, {"a": 2}]


async def test_returning_rows_from_a_write(db):
    result = await db.prepare("INSERT INTO t (name) VALUES ('r') RETURNING id, name").all()
    assert result.results == [{"id": 1, "name": "r"}]
    assert result.meta["changes"] == 1


async def test_statements_are_values_and_not_awaitable(db):
    stmt = db.prepare("SELECT ? AS v")
    bound = stmt.bind(1)
    assert bound is not stmt
    assert await bound.first("v") == 1
    assert await stmt.bind(2).first("v") == 2
    with pytest.raises(TypeError):
        await stmt  # type: ignore[misc]


# -- binding and reading values --------------------------------------------------------------------------------------


async def test_bind_conversions(db):
    row = (
        await db.prepare("SELECT ? AS t, ? AS f, ? AS n, ? AS s, ? AS i, ? AS r")
        .bind(True, False, None, "x", 7, 2.5)
        .first()
    )
    assert row == {"t": 1, "f": 0, "n": None, "s": "x", "i": 7, "r": 2.5}


async def test_bytes_and_byte_lists_bind_as_blobs_and_read_as_lists(db):
    row = (
        await db.prepare("SELECT ? AS a, ? AS b, ? AS c, typeof(?) AS t")
        .bind(b"\x00\xff", bytearray(b"\x01"), [1, 2, 3], memoryview(b"\x07"))
        .first()
    )
    assert row == {"a": [0, 255], "b": [1], "c": [1, 2, 3], "t": "blob"}


async def test_numbered_and_named_parameters_bind_in_order(db):
    assert await db.prepare("SELECT ?2 AS two, ?1 AS one").bind("a", "b").first() == {"two": "b", "one": "a"}
    assert await db.prepare("SELECT :x AS x, ? AS y").bind("a", "b").first() == {"x": "a", "y": "b"}


async def test_numbers_read_as_a_python_worker_sees_them(db):
    row = await db.prepare("SELECT 1.0 AS f, 2.5 AS g, 9007199254740993 AS big, ? AS bound").bind(3.0).first()
    assert row == {"f": 1, "g": 2.5, "big": 9007199254740992.0, "bound": 3}
    assert type(row["f"]) is int
    assert type(row["big"]) is float


async def test_non_finite_floats_bind_as_null(db):
    assert await db.prepare("SELECT ? AS a, ? AS b").bind(float("nan"), float("inf")).first() == {"a": None, "b": None}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"a": 1}, "D1_TYPE_ERROR: Type 'object' not supported for value '[object Object]'"),
        ([1, 2, 300], "D1_TYPE_ERROR: Type 'object' not supported for value '1,2,300'"),
        (2**60, f"D1_TYPE_ERROR: Type 'bigint' not supported for value '{2**60}'"),
        (
            dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc),
            "D1_TYPE_ERROR: Type 'object' not supported for value "
            "'Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)'",
        ),
    ],
)
async def test_unsupported_bind_types(db, value, text):
    with pytest.raises(JsException) as info:
        db.prepare("SELECT ?").bind(value)
    assert str(info.value) == text


# -- errors ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "text"),
    [
        ("SELECT * FROM nope", "D1_ERROR: no such table: nope: SQLITE_ERROR"),
        ("SELEC 1", 'D1_ERROR: near "SELEC": syntax error at offset 0: SQLITE_ERROR'),
        ("SELECT * FROM t WHERE", "D1_ERROR: incomplete input: SQLITE_ERROR"),
        ("SELECT nope FROM t", "D1_ERROR: no such column: nope at offset 7: SQLITE_ERROR"),
        ("SELECT nofn(1)", "D1_ERROR: no such function: nofn at offset 7: SQLITE_ERROR"),
        (
            "SELECT sqlite_version()",
            "D1_ERROR: not authorized to use function: sqlite_version at offset 7: SQLITE_ERROR",
        ),
        ("SELECT * FROM _cf_METADATA", "D1_ERROR: access to _cf_METADATA.key is prohibited: SQLITE_AUTH"),
        ("PRAGMA journal_mode", "D1_ERROR: not authorized: SQLITE_AUTH"),
        ("ATTACH DATABASE 'x.db' AS x", "D1_ERROR: not authorized: SQLITE_AUTH"),
        ("CREATE TEMP TABLE tmp (a)", "D1_ERROR: not authorized: SQLITE_AUTH"),
        ("INSERT INTO t (id, name) VALUES ('abc', 'x')", "D1_ERROR: datatype mismatch: SQLITE_MISMATCH"),
        ("SELECT json('{') AS v", "D1_ERROR: malformed JSON: SQLITE_ERROR"),
        ("SELECT 'a' LIKE '" + "x" * 51 + "'", "D1_ERROR: LIKE or GLOB pattern too complex: SQLITE_ERROR"),
    ],
)
async def test_sqlite_failures(db, sql, text):
    assert await error_of(db.prepare(sql).all()) == text


async def test_constraint_failures_name_the_extended_code(db):
    await db.prepare("INSERT INTO t (name) VALUES ('a')").run()
    await db.exec("CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE ch (pid INTEGER REFERENCES p(id));")
    sqlite = ": SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_{})"
    cases = {
        "INSERT INTO t (name) VALUES ('a')": "UNIQUE constraint failed: t.name" + sqlite.format("UNIQUE"),
        "INSERT INTO t (id, name) VALUES (1, 'zzz')": "UNIQUE constraint failed: t.id" + sqlite.format("PRIMARYKEY"),
        "INSERT INTO t (name) VALUES (NULL)": "NOT NULL constraint failed: t.name" + sqlite.format("NOTNULL"),
        "INSERT INTO t (name, c) VALUES ('q', -1)": "CHECK constraint failed: c IS NULL OR c > 0"
        + sqlite.format("CHECK"),
        "INSERT INTO ch VALUES (5)": "FOREIGN KEY constraint failed" + sqlite.format("FOREIGNKEY"),
    }
    for sql, text in cases.items():
        assert await error_of(db.prepare(sql).run()) == f"D1_ERROR: {text}"


async def test_errors_carry_the_bare_text_as_cause(db):
    with pytest.raises(JsException) as info:
        await db.prepare("SELECT * FROM nope").all()
    assert info.value.cause.message == "no such table: nope: SQLITE_ERROR"


async def test_wrong_number_of_parameters(db):
    text = "D1_ERROR: Wrong number of parameter bindings for SQL query."
    assert await error_of(db.prepare("SELECT ?, ?").bind(1).all()) == text
    assert await error_of(db.prepare("SELECT ?").bind(1, 2).all()) == text
    assert await error_of(db.prepare("SELECT ?").all()) == text


async def test_sql_transactions_are_refused(db):
    for sql in ("BEGIN TRANSACTION", "SAVEPOINT a", "COMMIT"):
        text = await error_of(db.prepare(sql).run())
        assert text.startswith("D1_ERROR: To execute a transaction, please use the state.storage.transaction()")


async def test_empty_and_comment_only_sql(db):
    assert await error_of(db.prepare("").all()) == "D1_ERROR: No SQL statements detected."
    assert await error_of(db.prepare("   ").all()) == "D1_ERROR: No SQL statements detected."
    assert await error_of(db.prepare("  -- only a comment").all()) == "D1_ERROR: No SQL statements detected."
    assert await error_of(db.prepare("-- nothing").all()) == "D1_ERROR: SQL code did not contain a statement."
    assert await error_of(db.prepare("SELECT 1 AS a; -- trailing").all()) == (
        "D1_ERROR: SQL code did not contain a statement."
    )
    assert await error_of(db.prepare("SELECT 1;;").all()) == "D1_ERROR: SQL code did not contain a statement."


# -- several statements in one prepare --------------------------------------------------------------------------------


async def test_multiple_statements_return_the_last_result(db):
    assert (await db.prepare("SELECT 1 AS a; SELECT 2 AS b").all()).results == [{"b": 2}]
    assert (await db.prepare("SELECT 1 AS a; SELECT ? AS b").bind(7).all()).results == [{"b": 7}]
    assert await db.prepare("SELECT 1 AS a; SELECT 2 AS b, 3 AS c").raw(columnNames=True) == [["b", "c"], [2, 3]]
    result = await db.prepare("INSERT INTO t (name) VALUES ('w1'); INSERT INTO t (name) VALUES ('w2')").run()
    assert result.meta["changes"] == 2


async def test_only_the_last_statement_may_have_parameters(db):
    assert await error_of(db.prepare("SELECT ? AS a; SELECT 2 AS b").bind(7).all()) == (
        "D1_ERROR: When executing multiple SQL statements in a single call, only the last statement can have "
        "parameters."
    )


async def test_a_failing_statement_undoes_the_earlier_ones(db):
    sql = "INSERT INTO t (name) VALUES ('m1'); INSERT INTO nope VALUES (1)"
    assert await error_of(db.prepare(sql).run()) == "D1_ERROR: no such table: nope: SQLITE_ERROR"
    assert await db.prepare("SELECT count(*) AS c FROM t").first("c") == 0


async def test_trigger_bodies_are_one_statement(db):
    await db.prepare(
        "CREATE TRIGGER up AFTER INSERT ON t BEGIN UPDATE t SET name = upper(new.name) WHERE id = new.id; END;"
    ).run()
    result = await db.prepare("INSERT INTO t (name) VALUES ('low')").run()
    assert result.meta["changes"] == 2
    assert await db.prepare("SELECT name FROM t").first("name") == "LOW"


# -- batch -----------------------------------------------------------------------------------------------------------


async def test_batch_returns_one_result_per_statement(db):
    insert = db.prepare("INSERT INTO t (name) VALUES (?)")
    results = await db.batch([insert.bind("a"), insert.bind("b"), db.prepare("SELECT count(*) AS c FROM t")])
    assert [r.success for r in results] == [True, True, True]
    assert [r.meta["changes"] for r in results] == [1, 1, 0]
    assert [r.meta["last_row_id"] for r in results] == [1, 2, 2]
    assert results[2].results == [{"c": 2}]


async def test_batch_is_all_or_nothing(db):
    insert = db.prepare("INSERT INTO t (name) VALUES (?)")
    await insert.bind("kept").run()
    text = await error_of(db.batch([insert.bind("b1"), insert.bind("b2"), db.prepare("INSERT INTO nope VALUES (1)")]))
    assert text == "D1_ERROR: no such table: nope: SQLITE_ERROR"
    assert await db.prepare("SELECT name FROM t ORDER BY id").raw() == [["kept"]]
    text = await error_of(db.batch([insert.bind("b3"), insert.bind("kept")]))
    assert text.endswith("SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)")
    assert await db.prepare("SELECT count(*) AS c FROM t").first("c") == 1


async def test_batch_skips_comment_only_statements_and_refuses_an_empty_list(db):
    assert len(await db.batch([db.prepare("  -- x"), db.prepare("SELECT 1 AS a")])) == 1
    assert await error_of(db.batch([])) == "D1_ERROR: No SQL statements detected."


# -- exec ------------------------------------------------------------------------------------------------------------


async def test_exec_runs_one_statement_per_line(db):
    result = await db.exec(
        "INSERT INTO t (name) VALUES ('a');\n\n   \nINSERT INTO t (name) VALUES ('b');\n  -- note\n"
        "INSERT INTO t (name) VALUES ('c'); INSERT INTO t (name) VALUES ('d');"
    )
    assert result["count"] == 3
    assert isinstance(result.duration, (int, float))
    assert await db.prepare("SELECT count(*) AS c FROM t").first("c") == 4


async def test_exec_errors(db):
    text = await error_of(db.exec("INSERT INTO t (name) VALUES ('x');\nINSERT INTO nope VALUES (1);"))
    assert text == (
        "D1_EXEC_ERROR: Error in line 1: INSERT INTO t (name) VALUES ('x');: no such table: nope: SQLITE_ERROR"
    )
    assert await db.prepare("SELECT count(*) AS c FROM t").first("c") == 0  # the whole exec was undone
    assert await error_of(db.exec("")) == "D1_EXEC_ERROR: Error in line 1: : No SQL statements detected."
    assert await error_of(db.exec("-- hi")) == (
        "D1_EXEC_ERROR: Error in line 1: -- hi: SQL code did not contain a statement."
    )


# -- sessions --------------------------------------------------------------------------------------------------------


async def test_session_bookmarks_start_empty_and_move_forward(db):
    session = db.withSession()
    assert session.getBookmark() is None
    await session.prepare("SELECT 1").all()
    first = session.getBookmark()
    assert isinstance(first, str) and first
    await session.prepare("INSERT INTO t (name) VALUES (?)").bind("s").run()
    second = session.getBookmark()
    assert second > first
    await session.batch([session.prepare("SELECT 1")])
    assert session.getBookmark() > second

    resumed = db.withSession(second)
    assert resumed.getBookmark() == second
    assert await resumed.prepare("SELECT name FROM t").first("name") == "s"
    assert resumed.getBookmark() > second


async def test_session_constraints(db):
    assert db.withSession("first-primary").getBookmark() is None
    assert db.withSession("first-unconstrained").getBookmark() is None
    assert db.withSession("").getBookmark() is None
    assert db.withSession("  ").getBookmark() is None


async def test_a_failed_query_does_not_move_the_bookmark(db):
    session = db.withSession("first-primary")
    await error_of(session.prepare("SELECT * FROM nope").all())
    assert session.getBookmark() is None


# -- limits ----------------------------------------------------------------------------------------------------------


async def test_bound_parameter_limit(db):
    hundred = "SELECT " + ",".join("?" * 100)
    assert await db.prepare(hundred).bind(*range(100)).raw() == [list(range(100))]
    too_many = "SELECT " + ",".join("?" * 101)
    assert await error_of(db.prepare(too_many).bind(*range(101)).all()) == (
        "D1_ERROR: too many SQL variables at offset 207: SQLITE_ERROR"
    )


async def test_statement_length_limit(db):
    ok = "SELECT '" + "x" * (100_000 - 20) + "' AS v"
    assert len(await db.prepare(ok).first("v")) == 100_000 - 20
    too_long = "SELECT '" + "x" * 100_001 + "' AS v"
    assert await error_of(db.prepare(too_long).first("v")) == "D1_ERROR: statement too long: SQLITE_TOOBIG"


async def test_column_and_value_size_limits(db):
    columns = ",".join(f"{i} AS c{i}" for i in range(101))
    assert await error_of(db.prepare(f"SELECT {columns}").raw()) == (
        "D1_ERROR: too many columns in result set: SQLITE_ERROR"
    )
    assert await db.prepare("SELECT length(zeroblob(2000000)) AS v").first("v") == 2_000_000
    assert await error_of(db.prepare("SELECT zeroblob(3000000) AS v").first()) == (
        "D1_ERROR: string or blob too big: SQLITE_TOOBIG"
    )
