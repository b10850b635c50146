"""Writing the decision log: the record, the hash chain, group commit, the writer."""
