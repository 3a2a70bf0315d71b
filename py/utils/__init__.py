"""Helpers shared by the services: paths, names, hashes, constants."""
