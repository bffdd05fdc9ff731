import BornCLI

BornCommand.main()
