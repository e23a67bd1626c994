"""gradlab.train."""
