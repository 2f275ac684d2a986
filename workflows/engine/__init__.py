"""The engine facade: the only package that imports SpiffWorkflow."""
