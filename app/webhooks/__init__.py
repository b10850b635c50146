"""Webhooks (CONTRACT §10): their registrations, the deliveries of the outbox's events,
and the worker that makes them (`dealguard worker`). No Flask here."""
