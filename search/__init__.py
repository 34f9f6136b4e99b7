"""diia-inbox: search."""
