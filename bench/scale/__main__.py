"""python -m bench.scale [options]: seed_scale as a script (see command.py)."""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from bench.scale.command import Command  # noqa: E402  (models load after setup)

Command().run_from_argv(["python -m", "bench.scale", *sys.argv[1:]])
