"""gametime-cli: book GameTime courts the moment the club's booking window opens."""

__version__ = "0.1.0"
