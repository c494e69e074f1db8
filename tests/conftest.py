"""Shared test configuration: the hypothesis profile used by default."""

import os

from hypothesis import settings

settings.register_profile("ci", deadline=None, max_examples=50)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
