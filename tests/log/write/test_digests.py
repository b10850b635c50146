"""Signed digests of the log (`dealguard log digest`, `log verify --digests`).

A rewrite that recomputes every hash after the changed record passes the plain
verify: the chain is whole again. A digest signed before the rewrite, kept outside
the database, finds it. Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from app.cli import main
from app.jsontext import dumps
from app.log.models import ChainHead, Decision, DecisionReason
from app.log.write import digest
from app.log.write.chain import link

pytestmark = pytest.mark.usefixtures("backend")
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def keys(tmp_path) -> dict[str, Path]:
    private, public = digest.new_key_pair()
    (tmp_path / "digest.key").write_bytes(private)
    (tmp_path / "digest.pub").write_bytes(public)
    return {"private": tmp_path / "digest.key", "public": tmp_path / "digest.pub"}


@pytest.fixture
def folder(tmp_path) -> Path:
    return tmp_path / "digests"


@pytest.fixture
def cli(app, keys, folder, monkeypatch):
    """cli(*args) -> (exit code, stdout, stderr) of `dealguard ...` on the test's log."""
    monkeypatch.setenv("DEALGUARD_DATABASE_URL", app.config["SETTINGS"].database_url)
    monkeypatch.setenv("DEALGUARD_DIGEST_DIR", str(folder))
    monkeypatch.setenv("DEALGUARD_DIGEST_KEY", str(keys["private"]))

    def run(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(main, list(args))
        return result.exit_code, result.stdout, result.stderr

    return run


def proven(cli, keys) -> dict:
    """The answer of `log verify --digests DIR --public-key FILE`."""
    code, out, err = cli("log", "verify", "--digests", os.environ["DEALGUARD_DIGEST_DIR"],
                         "--public-key", str(keys["public"]))
    answer = json.loads(out)
    assert code == (0 if answer["ok"] else 1), err
    return answer


@pytest.fixture
def signed(decide, cli):
    """Two decisions, a digest; four more, a digest. Seq 3..6 are shipments."""
    decide("discount")
    decide("claim")
    assert cli("log", "digest")[0] == 0
    for i in range(4):
        decide("shipment", client=f"c-{i}")
    code, out, _ = cli("log", "digest")
    assert code == 0
    return json.loads(out)


def rehash_from(engine, seq: int, change) -> None:
    """Change the document of `seq` and write every hash from it to the head again."""
    with engine.begin() as connection:
        rows = connection.execute(select(Decision.seq, Decision.document, Decision.prev_hash)
                                  .where(Decision.seq >= seq).order_by(Decision.seq)).all()
        previous = rows[0].prev_hash
        for row in rows:
            document = change(row.document) if row.seq == seq else row.document
            digest_ = link(previous, document)
            connection.execute(update(Decision).where(Decision.seq == row.seq).values(
                document=document, prev_hash=previous, hash=digest_))
            previous = digest_
        connection.execute(update(ChainHead).values(hash=previous))


def test_a_digest_signs_the_chain_head(signed, keys, folder, db_engine):
    files = digest.files(folder)
    assert [f.name[-18:] for f in files] == ["-000000000002.json", "-000000000006.json"]
    first, second = (digest.read(path) for path in files)
    with db_engine.connect() as connection:
        head = connection.execute(select(ChainHead.seq, ChainHead.hash)).one()
    assert (second["seq"], second["hash"]) == (head.seq, head.hash) == (6, signed["hash"])
    assert first["previous"] is None
    assert second["previous"]["file"] == files[0].name
    public = digest.load_public_key(str(keys["public"]), "public")
    assert digest.signature_holds(first, public) and digest.signature_holds(second, public)
    assert second["key_id"] == digest.key_id(public)


def test_an_untouched_log_is_proven_by_its_digests(signed, cli, keys):
    answer = proven(cli, keys)
    assert (answer["ok"], answer["checked"], answer["first_bad_seq"]) == (True, 6, None)
    assert answer["digests"]["checked"] == 2 and answer["digests"]["last"]["seq"] == 6


def test_a_rewrite_with_every_hash_recomputed_is_found(signed, cli, keys, db_engine, decide):
    decide("offer")  # seq 7: after the last digest, proven by the chain alone
    rehash_from(db_engine, 4, lambda text: text.replace('"amount":400', '"amount":4'))
    code, out, _ = cli("log", "verify")
    assert code == 0 and json.loads(out)["ok"] is True  # the chain alone cannot tell
    answer = proven(cli, keys)
    assert (answer["ok"], answer["first_bad_seq"], answer["checked"]) == (False, 3, 2)
    assert "after seq 2 was rewritten" in answer["problem"]


def test_removing_the_newest_records_and_moving_the_head_back_is_found(signed, cli, keys,
                                                                      db_engine):
    with db_engine.begin() as connection:
        five = connection.execute(select(Decision.hash).where(Decision.seq == 4)).scalar()
        connection.execute(delete(DecisionReason).where(DecisionReason.decision_seq >= 5))
        connection.execute(delete(Decision).where(Decision.seq >= 5))
        connection.execute(update(ChainHead).values(seq=4, hash=five))
    assert json.loads(cli("log", "verify")[1])["ok"] is True
    answer = proven(cli, keys)
    assert (answer["ok"], answer["first_bad_seq"]) == (False, 5)
    assert "records were removed" in answer["problem"]


def test_a_digest_refuses_to_sign_a_log_that_no_longer_agrees(signed, cli, db_engine, folder):
    rehash_from(db_engine, 4, lambda text: text.replace('"amount":400', '"amount":4'))
    code, out, err = cli("log", "digest")
    assert code == 1 and out == ""
    assert "differs from the latest digest" in err
    assert len(digest.files(folder)) == 2


@pytest.mark.parametrize("harm", ["deleted", "edited", "other key", "replaced"])
def test_digests_that_were_tampered_with_are_found(signed, cli, keys, folder, db_engine, harm):
    files = digest.files(folder)
    if harm == "deleted":
        # A third digest, then the middle one removed: the chain of digests breaks.
        assert cli("log", "digest")[0] == 0
        files[1].unlink()
        expected = "a digest missing or added"
    elif harm == "edited":
        files[0].write_text(files[0].read_text().replace('"seq":2', '"seq":1'))
        expected = "signature does not verify"
    elif harm == "other key":
        files[1].unlink()
        digest.write(db_engine, folder, digest.load_private_key(digest.new_key_pair()[0].decode()))
        expected = "signature does not verify"
    else:
        # The first digest signed again, by the right key, with another time: the next
        # digest signed the old file's hash.
        body = digest.read(files[0])
        payload = {**body, "made_at": body["made_at"].replace("Z", "1Z")}
        del payload["signature"]
        key = digest.load_private_key(str(keys["private"]))
        signature = base64.b64encode(key.sign(dumps(payload).encode())).decode()
        files[0].write_text(dumps({**payload, "signature": signature}) + "\n")
        expected = "is not the file it signed"
    answer = proven(cli, keys)
    assert answer["ok"] is False and answer["first_bad_seq"] is None
    assert expected in answer["problem"]


def test_the_api_gives_the_same_proof_when_digests_are_configured(app, signed, keys, folder,
                                                                  client, compliance,
                                                                  db_engine):
    settings = app.config["SETTINGS"]
    app.config["SETTINGS"] = replace(settings, digest_dir=str(folder),
                                     digest_public_key=keys["public"].read_text())
    answer = client.get("/v1/decisions/verify", headers=compliance).get_json()
    assert (answer["ok"], answer["checked"]) == (True, 6)
    assert answer["digests"]["checked"] == 2
    rehash_from(db_engine, 4, lambda text: text.replace('"amount":400', '"amount":4'))
    answer = client.get("/v1/decisions/verify", headers=compliance).get_json()
    assert (answer["ok"], answer["first_bad_seq"]) == (False, 3)
    app.config["SETTINGS"] = settings
    plain = client.get("/v1/decisions/verify", headers=compliance).get_json()
    assert plain == {"ok": True, "checked": 6, "first_bad_seq": None, "problem": None}


def test_digest_key_makes_a_pair_and_never_overwrites(tmp_path):
    runner = CliRunner()
    out = tmp_path / "new.key"
    result = runner.invoke(main, ["log", "digest-key", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    assert "PRIVATE" not in result.stdout + result.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    private = digest.load_private_key(str(out))
    assert digest.public_pem(private.public_key()).decode() == result.stdout
    again = runner.invoke(main, ["log", "digest-key", "--out", str(out)])
    assert again.exit_code != 0 and digest.load_private_key(str(out)) is not None
    assert out.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_a_missing_or_wrong_key_is_one_clear_line(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("DEALGUARD_DIGEST_KEY", str(tmp_path / "absent.key"))
    code, _, err = cli("log", "digest")
    assert code == 1 and "cannot read the key file" in err and "Traceback" not in err
    monkeypatch.setenv("DEALGUARD_DIGEST_KEY", "-----BEGIN PRIVATE KEY-----\nnot a key\n")
    code, _, err = cli("log", "digest")
    assert code == 1 and "holds no usable PEM key" in err and "not a key" not in err


def test_every_keeps_signing_until_stopped(app, keys, folder):
    env = dict(os.environ, DEALGUARD_DATABASE_URL=app.config["SETTINGS"].database_url,
               DEALGUARD_DIGEST_DIR=str(folder), DEALGUARD_DIGEST_KEY=str(keys["private"]),
               PYTHONPATH=str(REPO))
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "log", "digest", "--every",
                                "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        deadline = time.monotonic() + 60
        while len(digest.files(folder)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert len(digest.files(folder)) >= 2
    assert [json.loads(line)["seq"] for line in out.splitlines()][:2] == [0, 0]
