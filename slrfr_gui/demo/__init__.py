"""The built-in demo and the fictional faces it and the benchmarks are made of (no real photograph).

``synthetic`` renders fictional persons from the face model under any light; ``persons`` makes the
demo's gallery and probes of them.

Imports run downwards only: ``demo`` takes ``gallery``, ``method``, ``faces`` and below.
"""
