from newsarchive._entry import main

main()
