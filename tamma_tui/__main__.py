from tamma_tui.cli import main

raise SystemExit(main())
