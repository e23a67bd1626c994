from gradlab.cli.app import main

main()
