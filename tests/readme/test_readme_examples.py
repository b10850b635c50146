"""Every command in README.md's sh blocks runs as written, in order, against a real server.

The README promises that its examples work for a reader who ran `make run` and set KEY.
This test is that reader:

- A scratch checkout: a temp directory with a link to each top-level entry of the
  repository except `instance/` (so the database is new), `.git`, and `.venv` (a link to
  the Python environment running the tests). The examples write their files
  (claim.json, candidate.yaml, discounts.csv, ...) there.
- The server as `make run` starts it: `dealguard db upgrade`, `dealguard keys
  bootstrap` (the key it prints is KEY, as the README asks the reader to export it),
  then `gunicorn -c gunicorn.conf.py wsgi:app`, on a free port. No DEALGUARD_* variable
  is set, so instance/dealguard.db and policies/rules.yaml are the defaults, as for the
  reader; the examples' commands see the same environment.
- `localhost:8000` and `127.0.0.1:8000` in the blocks become the server's address.
- The blocks run in README order in one bash, so a variable set by one block (CLAIM_ID)
  is there for the next. Every command must exit 0: pipefail, and an ERR trap records
  each command that fails with its line. curl runs with --fail-with-body, so an HTTP
  answer that is not 2xx fails its command.

The skip rule: a block whose preceding line is `<!-- readme-test: skip: REASON -->` is
not run, and is reported as skipped with REASON. Every other ```sh, ```bash or ```shell
block runs, including those added later.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
SHELLS = {"sh", "bash", "shell"}
FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w+-]*)\s*$")
SKIP = re.compile(r"^\s*<!--\s*readme-test:\s*skip:\s*(.+?)\s*-->\s*$")
SERVER_ADDRESS = re.compile(r"\b(?:localhost|127\.0\.0\.1):8000\b")
NOT_LINKED = {".git", ".venv", "instance"}
BLOCK_SECONDS = 300  # a bound against a hung command, not a speed check
DONE = "__readme_block_done__"


@dataclass(frozen=True)
class Block:
    line: int  # README line of the block's first command
    text: str
    skip: str | None


def shell_blocks(markdown: str) -> list[Block]:
    """The README's sh/bash/shell blocks with their line and skip reason, in order."""
    lines = markdown.splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        fence, language = opening.groups()
        end = index + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        if language in SHELLS:
            before = [line for line in lines[:index] if line.strip()]
            marker = SKIP.match(before[-1]) if before else None
            blocks.append(Block(index + 2, "\n".join(lines[index + 1:end]) + "\n",
                                marker.group(1) if marker else None))
        index = end + 1
    return blocks


BLOCKS = shell_blocks(README.read_text(encoding="utf-8"))


def test_every_skip_marker_stands_before_a_shell_block():
    # A marker above a paragraph or a json block would skip nothing, silently.
    markers = [line for line in README.read_text(encoding="utf-8").splitlines()
               if SKIP.match(line)]
    assert len(markers) == sum(1 for block in BLOCKS if block.skip)
    # The parser finds the examples (keys, decisions, policy, log, statistics...).
    assert sum(1 for block in BLOCKS if not block.skip) >= 6


class Shell:
    """One bash for all blocks; each block is sourced, its output kept in a file."""

    def __init__(self, cwd: Path, env: dict[str, str], work: Path) -> None:
        self.work = work
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"], cwd=cwd, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        # Only commands of the block itself are recorded (not `source` returning the
        # status of the block's last command).
        self._send("set -o pipefail\n"
                   "trap 'README_TEST_STATUS=$?; "
                   "[[ ${BASH_SOURCE[0]-} == \"$README_TEST_BLOCK\" ]] && echo \"$LINENO "
                   "exit $README_TEST_STATUS: $BASH_COMMAND\" >> \"$README_TEST_FAILURES\"' ERR\n")

    def run(self, block: Block, text: str) -> tuple[list[str], str]:
        script = self.work / f"block-{block.line}.sh"
        output = self.work / f"block-{block.line}.out"
        failures = self.work / f"block-{block.line}.failures"
        script.write_text(text, encoding="utf-8")
        failures.touch()
        self._send(f"README_TEST_BLOCK='{script}' README_TEST_FAILURES='{failures}'\n"
                   f"source '{script}' < /dev/null > '{output}' 2>&1\n"
                   f"echo {DONE}\n")
        self._wait_for_done(block)
        lines = failures.read_text(encoding="utf-8").splitlines()
        # Each record begins with the line in the block; say the README's line instead.
        records = []
        for record in lines:
            number, _, rest = record.partition(" ")
            records.append(f"README.md:{block.line + int(number) - 1}: {rest}")
        return records, output.read_text(encoding="utf-8", errors="replace")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _send(self, text: str) -> None:
        self.process.stdin.write(text)
        self.process.stdin.flush()

    def _wait_for_done(self, block: Block) -> None:
        deadline = time.monotonic() + BLOCK_SECONDS
        stream = self.process.stdout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"README.md:{block.line}: the block did not end in "
                            f"{BLOCK_SECONDS} s")
            ready, _, _ = select.select([stream], [], [], left)
            if not ready:
                continue
            line = stream.readline()
            if not line:
                pytest.fail(f"README.md:{block.line}: the shell ended (an `exit`?)")
            if line.strip() == DONE:
                return


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scratch_checkout(root: Path) -> Path:
    checkout = root / "checkout"
    checkout.mkdir()
    for entry in REPO.iterdir():
        if entry.name not in NOT_LINKED:
            (checkout / entry.name).symlink_to(entry)
    (checkout / ".venv").symlink_to(Path(sys.prefix))
    return checkout


def strict_curl(bin_dir: Path) -> None:
    """`curl` that fails (exit 22) on an HTTP answer outside 2xx, printing the body."""
    real = shutil.which("curl")
    if real is None:
        pytest.fail("curl is not installed; the README's examples use it (Prerequisites)")
    bin_dir.mkdir()
    wrapper = bin_dir / "curl"
    wrapper.write_text(f'#!/bin/sh\nexec "{real}" --fail-with-body "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)


def wait_until_ready(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail("the server did not become ready:\n" + log.read_text(errors="replace")[-3000:])


@pytest.fixture(scope="module")
def readme(tmp_path_factory):
    """(shell, address): the scratch checkout's server running, and a shell beside it."""
    root = tmp_path_factory.mktemp("readme")
    checkout = scratch_checkout(root)
    work = root / "work"
    work.mkdir()
    strict_curl(work / "bin")
    port = free_port()
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("DEALGUARD_") and name != "PROMETHEUS_MULTIPROC_DIR"}
    env["GUNICORN_BIND"] = f"127.0.0.1:{port}"
    env["PATH"] = f"{work / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    dealguard = str(checkout / ".venv" / "bin" / "dealguard")
    # `make run`, less make: migrate, the first admin key, gunicorn.
    subprocess.run([dealguard, "db", "upgrade"], cwd=checkout, env=env, check=True,
                   capture_output=True, timeout=120)
    bootstrap = subprocess.run([dealguard, "keys", "bootstrap"], cwd=checkout, env=env,
                               check=True, capture_output=True, text=True, timeout=60)
    env["KEY"] = bootstrap.stdout.strip()
    log = work / "server.log"
    with open(log, "w") as server_log:
        server = subprocess.Popen(
            [str(checkout / ".venv" / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=checkout, env=env, stdout=server_log, stderr=subprocess.STDOUT)
    address = f"127.0.0.1:{port}"
    shell = None
    try:
        wait_until_ready(f"http://{address}/health/ready", server, log)
        shell = Shell(checkout, env, work)
        yield shell, address
    finally:
        if shell is not None:
            shell.close()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.mark.parametrize("block", BLOCKS, ids=[f"README.md:{b.line}" for b in BLOCKS])
def test_readme_block(readme, block):
    if block.skip:
        pytest.skip(f"README.md:{block.line}: {block.skip}")
    shell, address = readme
    failures, output = shell.run(block, SERVER_ADDRESS.sub(address, block.text))
    assert not failures, "\n".join([*failures, "--- the block's output:", output[-4000:]])
