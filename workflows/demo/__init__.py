"""The demo university (江苏理工学院): ``university.csv`` in the org-import format, and its generator."""

from pathlib import Path

UNIVERSITY_CSV = Path(__file__).with_name("university.csv")
