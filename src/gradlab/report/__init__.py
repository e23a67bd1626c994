"""gradlab.report."""
