"""Services of the model manager: download, cache and lifecycle."""
