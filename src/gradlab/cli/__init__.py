"""The ``gradlab`` command-line interface."""
