"""`python -m gate` runs the command line."""

from gate.cli import main

# Guarded: worker processes started by spawning (gate.mutmut.results) import this module again.
if __name__ == "__main__":
    main()
