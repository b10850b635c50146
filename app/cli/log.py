"""`dealguard log verify|export|digest|digest-key|digest-public-key` (CONTRACT §8).

They do what the endpoints do, straight on DEALGUARD_DATABASE_URL, for an operator
or an auditor on the database host: no key, no HTTP timeout on a long export.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from typing import Any

import click

from app.cli.database import filters_from_options, open_database, settings
from app.config import Settings
from app.log.read.query import FILTER_NAMES


@click.group("log")
def log_group() -> None:
    """The decision log: prove it unchanged, sign its state, hand it over."""


@log_group.command("verify")
@click.option("--digests", "digest_dir", type=click.Path(file_okay=False), default=None,
              help="Also prove the log against the signed digests in this directory.")
@click.option("--public-key", type=click.Path(dir_okay=False), default=None,
              help="The PEM public key the digests were signed with (default: "
                   "DEALGUARD_DIGEST_PUBLIC_KEY, else the public half of DEALGUARD_DIGEST_KEY).")
def verify_command(digest_dir: str | None, public_key: str | None) -> None:
    """Re-compute the hash chain; print {ok, checked, first_bad_seq}; exit 1 if broken."""
    from app.log.read.verify import verify

    current = settings()
    if digest_dir is None:
        if public_key is not None:
            raise click.UsageError("--public-key goes with --digests")
        result = verify(open_database(current))
    else:
        from app.log.read.verify_digests import verify_with_digests

        key = _public_key(current, public_key)
        result = verify_with_digests(open_database(current), digest_dir, key)
    click.echo(json.dumps(result.as_dict()))
    if not result.ok:
        sys.exit(1)


def _public_key(settings: Settings, path: str | None):
    from app.log.write import digest

    try:
        if path is not None:
            return digest.load_public_key(path, "--public-key")
        if settings.digest_public_key:
            return digest.load_public_key(settings.digest_public_key,
                                          "DEALGUARD_DIGEST_PUBLIC_KEY")
        key = digest.load_private_key(settings.digest_key).public_key()
    except digest.DigestError as error:
        raise click.ClickException(str(error)) from None
    click.echo("Checking with the public half of DEALGUARD_DIGEST_KEY: whoever holds the "
               "server holds that key too. Pass --public-key with a copy kept elsewhere.",
               err=True)
    return key


@log_group.command("digest")
@click.option("--every", type=click.FloatRange(min=1), default=None, metavar="SECONDS",
              help="Keep running beside the server: a digest every SECONDS.")
def digest_command(every: float | None) -> None:
    """Sign the log's chain head into DEALGUARD_DIGEST_DIR with DEALGUARD_DIGEST_KEY."""
    from app.log.write import digest

    current = settings()
    if not current.digest_dir:
        raise click.ClickException("DEALGUARD_DIGEST_DIR is not set")
    try:
        key = digest.load_private_key(current.digest_key)
    except digest.DigestError as error:
        raise click.ClickException(str(error)) from None
    database = open_database(current)
    if every is None:
        if not _make_digest(database, current.digest_dir, key):
            sys.exit(1)
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.is_set():
            # A failed digest (the database away, a log that no longer agrees with the
            # last digest) is said and tried again at the next interval.
            _make_digest(database, current.digest_dir, key)
            stop.wait(every)
    except KeyboardInterrupt:
        pass


def _make_digest(database, directory: str, key) -> bool:
    from sqlalchemy.exc import SQLAlchemyError

    from app.log.write import digest

    try:
        made = digest.write(database, directory, key)
    except (digest.DigestError, SQLAlchemyError, OSError) as error:
        message = str(error) if isinstance(error, digest.DigestError) else type(error).__name__
        click.echo(f"no digest made: {message}", err=True)
        return False
    click.echo(json.dumps({"file": str(made.path), **{name: made.digest[name] for name in
                                                       ("seq", "hash", "made_at")}}))
    return True


@log_group.command("digest-key")
@click.option("--out", type=click.Path(dir_okay=False), required=True,
              help="Where to write the new private key (PEM, mode 0600; never overwritten).")
def digest_key_command(out: str) -> None:
    """Make an Ed25519 key pair for digests; print the public key (keep it off the server)."""
    from app.log.write import digest

    private, public = digest.new_key_pair()
    try:
        handle = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise click.ClickException(f"cannot create {out}: {error.strerror}") from None
    with os.fdopen(handle, "wb") as stream:
        stream.write(private)
    click.echo(public.decode("ascii"), nl=False)
    click.echo(f"Private key written to {out}: point DEALGUARD_DIGEST_KEY at it. Keep the "
               "public key above where the server's users cannot change it, and verify "
               "with `dealguard log verify --digests DIR --public-key FILE`.", err=True)


@log_group.command("digest-public-key")
def digest_public_key_command() -> None:
    """Print the public key of DEALGUARD_DIGEST_KEY."""
    from app.log.write import digest

    try:
        key = digest.load_private_key(settings().digest_key)
    except digest.DigestError as error:
        raise click.ClickException(str(error)) from None
    click.echo(digest.public_pem(key.public_key()).decode("ascii"), nl=False)


def _filter_options(command):
    for name in reversed(FILTER_NAMES):
        flag = "--" + name.replace("_", "-")
        help_text = ("ISO date or date-time on decided_at" if name in ("since", "until")
                     else f"only decisions with this {name}")
        command = click.option(flag, name, default=None, help=help_text)(command)
    return command


@log_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write here instead of standard output.")
@_filter_options
def export_command(fmt: str, output: str | None, **options: Any) -> None:
    """Stream the (masked) log as CSV or JSON lines, oldest first, with the API's filters."""
    from app.log.read.export import stream

    current = settings()
    filters = filters_from_options(current, options)
    chunks = stream(open_database(current), filters, fmt)
    if output is None:
        try:
            for chunk in chunks:
                sys.stdout.write(chunk)
            sys.stdout.flush()
        except BrokenPipeError:
            # `dealguard log export | head`: the reader has all it wants. Point stdout
            # at /dev/null so the flush at exit does not complain (Python's own advice).
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        return
    with open(output, "w", encoding="utf-8", newline="") as handle:
        for chunk in chunks:
            handle.write(chunk)


commands = [log_group]
