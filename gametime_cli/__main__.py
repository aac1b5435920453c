from gametime_cli.cli import main

raise SystemExit(main())
