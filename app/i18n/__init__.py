"""Languages: which ones the platform speaks, how a request picks one, translation markers."""
