"""diia-inbox: archive."""
