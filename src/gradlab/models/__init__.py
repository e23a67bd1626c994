"""gradlab.models."""
