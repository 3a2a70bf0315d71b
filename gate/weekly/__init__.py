"""The weekly full run's extras: the run history, and shards split over machines and merged again."""
