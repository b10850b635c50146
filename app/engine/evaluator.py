"""Facts -> the rules that matched. The only module that talks to durable_rules.

What durable_rules does, and how this module lives with it (see
shared/notes/durable-rules.md, each point proven in tests/engine/test_evaluator.py):

- `post()` sends an event that only the first matching rule consumes: we assert
  facts instead, which every matching rule sees, and retract them afterwards so
  nothing stays in the engine between decisions (memory stays flat).
- Its Python `Host` runs timer threads that execute other callers' actions: we
  never create one and drive the C module directly; it returns the names of the
  rules that fired, with no Python callbacks.
- Its C calls are not thread-safe on one ruleset: each ruleset has a lock.
- Its parser rejects `1e-05`, NaN and Infinity: numbers are written here in
  fixed-point notation (the schemas refuse NaN and Infinity before).
- `id` and `sid` are its own fields: a fact's `id` is our index, and all facts
  live in the one state "0", emptied after each decision.
- A rule with k true `$or` branches fires k times: hits are a set.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import threading
import weakref
from decimal import Decimal
from typing import Any

import durable_rules_engine as engine

STATE = "0"
# A fired rule's message: {"<rule>":{"m":{"sid":"0","id":<fact number>, ...}}}
_FIRED = re.compile(r'\{"([0-9.]+)":\{"m":\{"sid":"0","id":([0-9]+)[,}]')
_names = itertools.count()


class EngineError(RuntimeError):
    """durable_rules refused a ruleset or a fact."""


def to_json(value: Any) -> str:
    """JSON as durable_rules' parser reads it: no exponents, no NaN, raw UTF-8."""
    encode = _ENCODERS.get(type(value))
    if encode is not None:
        return encode(value)
    if isinstance(value, bool | int | float | Decimal | str | dict | list | tuple):
        return _ENCODERS[next(t for t in _ENCODERS if isinstance(value, t))](value)
    raise TypeError(f"cannot send {type(value).__name__} to the rule engine")


def _object(value: dict) -> str:
    return "{" + ",".join([_key(k) + ":" + to_json(v) for k, v in value.items()]) + "}"


def _array(value: list | tuple) -> str:
    return "[" + ",".join([to_json(v) for v in value]) + "]"


# Exact types first (bool before int: True is an int too). encode_basestring keeps
# UTF-8 raw, which the engine needs to compare Cyrillic text.
_ENCODERS = {
    type(None): lambda _: "null",
    bool: lambda value: "true" if value else "false",
    int: str,
    float: lambda value: _fixed(value),
    Decimal: lambda value: _fixed(value),
    str: json.encoder.encode_basestring,
    dict: _object,
    list: _array,
    tuple: _array,
}


def _fact_json(index: int, doc: dict[str, Any]) -> str:
    """One fact of state STATE numbered `index`: the hot path of to_json, flat values only."""
    fields = "".join([
        "," + _key(name) + ":" + (_ENCODERS.get(type(value)) or to_json)(value)
        for name, value in doc.items()
    ])
    return f'{{"sid":"{STATE}","id":{index}{fields}}}'


@functools.lru_cache(maxsize=4096)
def _key(name: str) -> str:
    # Field names repeat on every decision: encode each once.
    return json.dumps(str(name), ensure_ascii=False)


def _fixed(number: float | Decimal) -> str:
    decimal = number if isinstance(number, Decimal) else Decimal(repr(number))
    if not decimal.is_finite():
        raise ValueError("the rule engine cannot compare NaN or Infinity")
    text = format(decimal, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


class CompiledRuleset:
    """One durable_rules ruleset, used by one thread at a time.

    Its memory (~0.4 MiB) is given back when the object is garbage collected, so a
    process that reloads policies or replays candidates does not grow: see _release.
    """

    def __init__(self, label: str, definition: dict[str, Any]) -> None:
        self.empty = not definition
        self._lock = threading.Lock()
        self._handle = None
        self._acted = [False]  # shared with the finalizer, which must not hold self
        if not self.empty:
            # A registered name cannot be registered again: a counter keeps every
            # loaded version apart, so two policies run side by side.
            name = f"{label}#{next(_names)}"
            try:
                self._handle = engine.create_ruleset(name, to_json(definition))
            except engine.error as error:
                raise EngineError(f"durable_rules refused ruleset {label}: {error}") from None
            self.released = weakref.finalize(self, _release, self._handle, self._acted)

    def matches(self, documents: list[dict[str, Any]]) -> set[tuple[str, int]]:
        """(durable rule name, document index) for every rule each document satisfies."""
        if self.empty or not documents:
            return set()
        payload = "[" + ",".join([_fact_json(i, doc) for i, doc in enumerate(documents)]) + "]"
        hits: set[tuple[str, int]] = set()
        with self._lock:
            try:
                engine.assert_facts(self._handle, payload)
                self._drain(hits)
            finally:
                # Retract even after an error: a fact left behind would fire for the next caller.
                try:
                    engine.retract_facts(self._handle, payload)
                except engine.error:
                    pass
                self._drain(set())
        return hits

    def _drain(self, hits: set[tuple[str, int]]) -> None:
        result = engine.start_action(self._handle)
        if result:
            self._acted[0] = True
        while result:
            _state, message, state_handle = result
            self._collect(message, hits)
            following = engine.complete_and_start_action(self._handle, state_handle)
            while following:
                self._collect(following, hits)
                following = engine.complete_and_start_action(self._handle, state_handle)
            result = engine.start_action(self._handle)

    @staticmethod
    def _collect(message: str, hits: set[tuple[str, int]]) -> None:
        # The engine echoes the fact as we wrote it, sid and id first: read the rule name
        # and the fact number off the front instead of decoding the whole fact.
        head = _FIRED.match(message)
        if head is not None:
            hits.add((head.group(1), int(head.group(2))))
            return
        for rule_name, frame in json.loads(message).items():
            hits.add((rule_name, int(frame["m"]["id"])))


def _release(handle: int, acted: list[bool]) -> None:
    """Free a ruleset nobody can use any more.

    delete_ruleset alone leaves the state of sid "0" behind (~0.25 MiB each time);
    delete_state frees it, but segfaults on a state where no action ever ran
    (measured; not in the tracker), so it is called only after one did.
    """
    try:
        if acted[0]:
            engine.delete_state(handle, STATE)
        engine.delete_ruleset(handle)
    except engine.error:
        pass
