"""diia-inbox: qrtools."""
