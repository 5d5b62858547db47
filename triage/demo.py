"""The demo's queue (seed_demo calls seed(), after the apps whose states raise items have
seeded theirs): one sweep, so the clinic home shows what beat would find within minutes."""

from triage.sweeps import sweep


def seed() -> None:
    sweep()
