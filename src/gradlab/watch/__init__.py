"""gradlab.watch."""
