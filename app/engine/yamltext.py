"""YAML text -> plain data plus the line of every value, so errors can point at the text."""

from __future__ import annotations

import re
from typing import Any

import yaml


class YamlProblem(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def parse_with_lines(text: str) -> tuple[Any, dict[str, int]]:
    """Parse YAML safely; return the data and {dotted path: 1-based line}.

    Raises YamlProblem for malformed YAML and duplicate mapping keys (which plain
    PyYAML would silently resolve to the last one).
    """
    _refuse_aliases(text)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlProblem(line, f"invalid YAML: {error.problem or error}") from None
    except yaml.YAMLError as error:
        raise YamlProblem(None, f"invalid YAML: {error}") from None
    lines: dict[str, int] = {}
    if node is None:
        return None, lines
    # Only its tag constructors are used (numbers, booleans of scalar nodes). One per
    # parse: a loader remembers every node it constructed.
    constructor = yaml.SafeLoader("")
    return _convert(node, "", lines, constructor), lines


def _refuse_aliases(text: str) -> None:
    # An alias repeats a subtree: nested ones grow exponentially ("billion laughs"), and a
    # few hundred bytes would keep a worker busy for minutes. A policy never needs them.
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, yaml.AliasToken):
                raise YamlProblem(token.start_mark.line + 1,
                                  "YAML aliases (*name) are not allowed in a policy")
    except yaml.YAMLError:
        return  # composing reports the syntax error with its line


def _convert(node: yaml.Node, path: str, lines: dict[str, int],
             constructor: yaml.SafeLoader) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, constructor)
            if not isinstance(key, str | int | float | bool) or key is None:
                raise YamlProblem(key_node.start_mark.line + 1, "a key must be a plain value")
            key = str(key)
            if key in result:
                raise YamlProblem(key_node.start_mark.line + 1, f"duplicate key {key!r}")
            child = f"{path}.{key}" if path else key
            result[key] = _convert(value_node, child, lines, constructor)
            lines[child] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(item, f"{path}.{index}" if path else str(index), lines, constructor)
            for index, item in enumerate(node.value)
        ]
    return _scalar(node, constructor)


def _scalar(node: yaml.Node, constructor: yaml.SafeLoader) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return node
    value = constructor.construct_object(node, deep=True)
    if isinstance(value, str) and _SURROGATE.search(value):
        # YAML's "\ud800" escape makes one: no text can hold it (nor be encoded with it).
        raise YamlProblem(node.start_mark.line + 1,
                          "a lone surrogate escape (\\ud800-\\udfff) is not a character")
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")
