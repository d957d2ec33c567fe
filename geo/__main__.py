"""``python -m geo``: the same as the ``dezmap`` command."""

from geo.cli import main

raise SystemExit(main())
