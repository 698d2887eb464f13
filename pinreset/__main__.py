"""``python -m pinreset`` runs the command line."""

from pinreset.cli import main

raise SystemExit(main())
