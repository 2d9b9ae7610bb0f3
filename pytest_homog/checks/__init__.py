"""The assertions, one module per family of checks."""
