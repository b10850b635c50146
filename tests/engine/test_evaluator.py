"""The traps of durable_rules (shared/notes/durable-rules.md), each shown handled."""

import threading
from decimal import Decimal

import pytest

from app.engine import InvalidRequest, load_policy_text
from app.engine.evaluator import CompiledRuleset, to_json

from .conftest import discount


def test_every_matching_rule_fires_not_just_the_first():
    ruleset = CompiledRuleset("t-all", {
        "a": {"all": [{"m": {"$gt": {"x": 1}}}]},
        "b": {"all": [{"m": {"$gt": {"x": 2}}}]},
        "c": {"all": [{"m": {"$gt": {"x": 100}}}]},
    })
    assert ruleset.matches([{"x": 5}]) == {("a", 0), ("b", 0)}


def test_an_or_with_two_true_branches_counts_once():
    ruleset = CompiledRuleset("t-or", {
        "r": {"all": [{"m": {"$or": [{"$gt": {"x": 1}}, {"$gt": {"x": 2}}]}}]},
    })
    assert ruleset.matches([{"x": 5}]) == {("r", 0)}


def test_facts_are_retracted_so_nothing_carries_over():
    ruleset = CompiledRuleset("t-retract", {"r": {"all": [{"m": {"$gt": {"x": 1}}}]}})
    assert ruleset.matches([{"x": 5}]) == {("r", 0)}
    # The same fact id again would be "already observed" if the first had stayed.
    assert ruleset.matches([{"x": 5}]) == {("r", 0)}
    assert ruleset.matches([{"x": 0}]) == set()


def test_several_documents_are_told_apart():
    ruleset = CompiledRuleset("t-docs", {"r": {"all": [{"m": {"$gt": {"x": 1}}}]}})
    assert ruleset.matches([{"x": 0}, {"x": 5}, {"x": 9}]) == {("r", 1), ("r", 2)}


def test_numbers_never_reach_the_engine_in_exponent_form():
    assert to_json(1e-05) == "0.00001"
    assert to_json(Decimal("1E+3")) == "1000"
    assert to_json(1e20) == "100000000000000000000"
    ruleset = CompiledRuleset("t-exp", {"r": {"all": [{"m": {"$lt": {"x": 1e-05}}}]}})
    assert ruleset.matches([{"x": Decimal("0.000001")}]) == {("r", 0)}


def test_nan_cannot_be_sent():
    with pytest.raises(ValueError):
        to_json(float("nan"))


def test_cyrillic_text_compares_as_text():
    ruleset = CompiledRuleset("t-utf", {"r": {"all": [{"m": {"need": "насосы"}}]}})
    assert ruleset.matches([{"need": "насосы"}]) == {("r", 0)}


def test_request_fields_named_id_do_not_collide(policy):
    # client.id / deal.id are flattened names, and the engine's own `id` is our index.
    first = policy.decide(discount(12))
    again = policy.decide(discount(12))
    assert first == again
    assert first["outcome"] == "require_approval"


def test_nan_and_strings_are_refused_before_the_engine(policy):
    for bad in (float("nan"), float("inf"), "12", True):
        with pytest.raises(InvalidRequest) as caught:
            policy.decide(discount(bad))
        assert "discount.percent" in caught.value.errors


def test_threads_get_the_answers_a_single_thread_gets(policy):
    requests = [discount(p / 4) for p in range(0, 120)]
    expected = [policy.decide(r)["outcome"] for r in requests]
    wrong = []

    def work():
        for _ in range(5):
            for request, outcome in zip(requests, expected, strict=True):
                if policy.decide(request)["outcome"] != outcome:
                    wrong.append(request)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert {"allow", "require_approval", "deny"} == set(expected)


def test_two_policy_versions_side_by_side(rules_text):
    old = load_policy_text(rules_text)
    new = load_policy_text(rules_text.replace("wholesale:   [10, 15, 20]",
                                              "wholesale:   [12, 15, 20]"))
    request = discount(11)
    assert old.decide(request)["outcome"] == "require_approval"
    assert new.decide(request)["outcome"] == "allow"
    assert old.decide(request)["outcome"] == "require_approval"
    assert old.sha256 != new.sha256


def test_the_same_text_loaded_twice_works_twice(rules_text):
    first, second = load_policy_text(rules_text), load_policy_text(rules_text)
    assert first.decide(discount(12)) == second.decide(discount(12))


@pytest.mark.parametrize("action", [[], {}, 1, None, "refund"])
def test_an_odd_action_is_a_field_error(policy, action):
    request = discount(1)
    request["action"] = action
    with pytest.raises(InvalidRequest) as caught:
        policy.decide(request)
    assert list(caught.value.errors) == ["action"]


def test_a_dropped_policy_gives_its_rulesets_back(rules_text):
    import gc

    policy = load_policy_text(rules_text)
    policy.decide(discount(12))  # an action ran: its state is freed too
    finalizers = [program.ruleset.released for program in policy._programs.values()
                  if not program.ruleset.empty]
    assert finalizers and all(f.alive for f in finalizers)
    del policy
    gc.collect()
    assert not any(f.alive for f in finalizers)


def test_a_ruleset_that_never_acted_is_freed_without_touching_its_state():
    # delete_state on a state where no action ran segfaults: this must not crash.
    ruleset = CompiledRuleset("t-never", {"r": {"all": [{"m": {"$gt": {"x": 5}}}]}})
    assert ruleset.matches([{"x": 1}]) == set()
    ruleset.released()
    assert not ruleset.released.alive


def test_fired_messages_are_read_in_either_form():
    hits = set()
    CompiledRuleset._collect('{"2.1":{"m":{"sid":"0","id":7,"x":5}}}', hits)
    CompiledRuleset._collect('{"3.0": {"m": {"id": 4, "sid": "0"}}}', hits)  # decoded fully
    assert hits == {("2.1", 7), ("3.0", 4)}
