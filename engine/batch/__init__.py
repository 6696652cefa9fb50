"""Batch work: class caches, relevance, synthetic requests, progress."""
