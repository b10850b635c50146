"""rules.yaml's header says what decides beside the rules, as the code does it."""

from __future__ import annotations

from click.testing import CliRunner

from app.cli import main
from app.vocabulary import SALES_LADDER

INTRO = "# Computed facts:"


def _header(text: str) -> list[str]:
    """The comment lines before the policy's first key."""
    lines = text.splitlines()
    return lines[:next(i for i, line in enumerate(lines) if line and not line.startswith("#"))]


def test_the_header_lists_the_computed_facts_as_the_code_computes_them(rules_text):
    printed = CliRunner().invoke(main, ["policy", "facts"])
    assert printed.exit_code == 0, printed.output
    header = _header(rules_text)
    start = next(i for i, line in enumerate(header) if line.startswith(INTRO)) + 2
    end = next((i for i in range(start, len(header)) if not header[i].startswith("#   ")),
               len(header))
    assert header[start:end] == ["#   " + line for line in printed.output.splitlines()]
    assert "line.margin_percent:" in printed.output
    assert "order.cleared_balance: order.paid - order.shipped_before" in printed.output


def test_the_header_states_the_role_ladder_the_code_uses(rules_text):
    ladder = [line for line in _header(rules_text) if "Role ladder:" in line]
    assert len(ladder) == 1
    assert f"Role ladder: {' < '.join(SALES_LADDER)}." in ladder[0]
