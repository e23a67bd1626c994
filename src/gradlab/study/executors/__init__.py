"""gradlab.study.executors."""
