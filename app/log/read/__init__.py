"""Reading the decision log: filters, pages, export, verify, look-ups, replayable requests."""
