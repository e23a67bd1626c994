"""``python -m gradlab``: the ``gradlab`` command."""

from gradlab.cli.app import main

main()
