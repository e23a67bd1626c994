"""gradlab.data."""
