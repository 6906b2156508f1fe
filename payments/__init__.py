"""Core of the benefit payment engine: database, NemKonto registry, claims, orders, batch."""
