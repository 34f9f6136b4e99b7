"""diia-inbox: diia_inbox."""
