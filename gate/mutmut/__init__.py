"""Everything that knows mutmut 3.8: its names, its files under mutants/, its process and its cache."""
