"""Renderers: take results, return text. They never run anything."""
