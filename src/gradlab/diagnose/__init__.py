"""gradlab.diagnose."""
