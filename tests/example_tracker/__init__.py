"""An example tracker, kept in the tests: proof that a tracker is one folder and one line."""
