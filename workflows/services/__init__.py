"""Use cases: each opens one unit of work, acts, and commits (or rolls back as a whole)."""
