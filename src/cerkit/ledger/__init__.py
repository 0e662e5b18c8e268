"""Storage backends behind one interface (see :mod:`cerkit.ledger.base`)."""
