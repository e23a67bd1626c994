"""gradlab.watch.sinks."""
