"""diia-inbox: web."""
