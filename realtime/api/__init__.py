"""Public REST reads: instruments and market data (book, tape, quotes). Anonymous allowed."""
