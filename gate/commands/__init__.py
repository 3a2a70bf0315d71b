"""One module per `gate` command: click shells over library functions."""
