"""gradlab.integrations."""
