"""Runs every probe and names each outcome."""

from .outcome import outcome
from .routes import ROUTES


def run_all():
    return {name: outcome(probe) for name, probe in ROUTES.items()}
