from sitroom.cli import main

raise SystemExit(main())
