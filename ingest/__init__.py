"""diia-inbox: ingest."""
