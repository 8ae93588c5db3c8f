from synthzoo.cli import main

main()
