"""`syncd check`: every client file validated offline (`offline`), and each tool asked, read-only,
whether the configured setup works (`online`; the questions themselves live with each
connector, as `probe()`)."""
