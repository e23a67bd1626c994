"""gradlab.study."""
