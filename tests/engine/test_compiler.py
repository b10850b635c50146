"""The compiler's translations of what durable_rules lacks."""

from app.engine.compiler import _compile
from app.engine.model import AllOf, AnyOf, Compare, Not, Operand, PolicyModel, Table


def model(**parameters):
    rows = {"retail": (5, 10), "wholesale": (10, 15)}
    table = Table("limits", "client.segment", ("a", "b"), rows)
    return PolicyModel("p", "1", "RUB", {}, (), parameters, {"limits": table}, ())


def lit(value):
    return Operand("literal", value)


def test_not_is_pushed_down_to_the_comparisons():
    condition = Not(AllOf((Compare("x", "gt", lit(1)), Compare("y", "eq", lit("a")))))
    assert _compile(condition, model(), negate=False) == {
        "$or": [{"$lte": {"x": 1}}, {"$neq": {"y": "a"}}]
    }


def test_double_negation_cancels():
    condition = Not(Not(AnyOf((Compare("x", "lt", lit(1)), Compare("x", "ge", lit(9))))))
    assert _compile(condition, model(), negate=False) == {
        "$or": [{"$lt": {"x": 1}}, {"$gte": {"x": 9}}]
    }


def test_in_and_not_in_become_equalities():
    assert _compile(Compare("r", "in", Operand("param", "roles")), model(roles=["a", "b"]),
                    negate=False) == {"$or": [{"r": "a"}, {"r": "b"}]}
    assert _compile(Compare("r", "not_in", lit(["a", "b"])), model(), negate=False) == {
        "$and": [{"$neq": {"r": "a"}}, {"$neq": {"r": "b"}}]
    }


def test_a_table_cell_expands_over_the_rows():
    compiled = _compile(Compare("pct", "gt", Operand("table", "limits", "b")), model(),
                        negate=False)
    assert compiled == {"$or": [
        {"$and": [{"client.segment": "retail"}, {"$gt": {"pct": 10}}]},
        {"$and": [{"client.segment": "wholesale"}, {"$gt": {"pct": 15}}]},
    ]}


def test_a_field_operand_compares_two_fields():
    compiled = _compile(Compare("a", "gt", Operand("field", "b")), model(), negate=False)
    assert compiled == {"$gt": {"a": {"$m": "b"}}}
