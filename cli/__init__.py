"""The ``payments`` command: parsing, output and exit codes; no business logic."""
