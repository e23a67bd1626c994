"""gradlab.diagnose.rules."""
