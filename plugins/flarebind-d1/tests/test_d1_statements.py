"""How one prepare's SQL text is cut into statements, and wrangler's CLI splitter."""

from __future__ import annotations

import pytest
from flarebind_d1.sqlsplit import SplitError, split_sql
from flarebind_d1.statements import is_blank, make_plan, split_statements


def test_split_respects_strings_comments_and_trigger_bodies():
    sql = (
        "INSERT INTO t VALUES ('a;b'); -- c;d\n"
        "CREATE TRIGGER x AFTER INSERT ON t BEGIN UPDATE t SET a = 1; DELETE FROM t; END;\n"
        "SELECT 2"
    )
    parts = split_statements(sql)
    assert [p.strip().split()[0] for p in parts] == ["INSERT", "--", "SELECT"]
    assert "END;" in parts[1]


def test_plans():
    assert make_plan("SELECT 1").single
    assert make_plan("SELECT 1;   \n").single
    assert make_plan("SELECT 1").readonly
    assert not make_plan("INSERT INTO t VALUES (1)").readonly
    assert make_plan("INSERT INTO t VALUES (1)").insert
    assert not make_plan("INSERT OR REPLACE INTO t VALUES (1)").insert
    assert not make_plan("WITH x AS (SELECT 1) DELETE FROM t").readonly
    multi = make_plan("SELECT 1; SELECT 2")
    assert not multi.single and len(multi.segments) == 2
    assert make_plan("SELECT 1; -- trailing").segments[-1] is None
    assert make_plan("x" * 100_001).too_long


@pytest.mark.parametrize(
    ("sql", "blank"),
    [("", True), ("  \n", True), ("  -- c", True), ("-- c", False), ("SELECT 1", False), ("\n  -- a\n  -- b\n", True)],
)
def test_miniflare_blank_rule(sql, blank):
    assert is_blank(sql) is blank


def test_cli_split_like_wrangler():
    assert split_sql("SELECT 1;") == ["SELECT 1;"]
    assert split_sql("CREATE TABLE a (x); -- note\nINSERT INTO a VALUES ('1;2');") == [
        "CREATE TABLE a (x)",
        "INSERT INTO a VALUES ('1;2')",
    ]
    trigger = "CREATE TRIGGER tr AFTER INSERT ON a BEGIN UPDATE a SET x = 1; END; SELECT 1;"
    assert split_sql(trigger) == ["CREATE TRIGGER tr AFTER INSERT ON a BEGIN UPDATE a SET x = 1; END", "SELECT 1"]
    assert split_sql("BEGIN TRANSACTION;\nCREATE TABLE a (x);\nINSERT INTO a VALUES (1);\nCOMMIT;") == [
        "CREATE TABLE a (x)",
        "INSERT INTO a VALUES (1)",
    ]
    with pytest.raises(SplitError, match="contains several transactions"):
        split_sql("BEGIN TRANSACTION; SELECT 1; COMMIT; BEGIN TRANSACTION; SELECT 2; COMMIT;")
