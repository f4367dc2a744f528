"""Deterministic generator of the simulated CRM world (sales CRM, help desk, marketing platform).

``generate()`` draws a population and its lifecycles, derives the three sources from it, injects
dirt at the rates of ``seeds/dirt.yml`` and writes ``world/`` (what the transports serve) and
``truth/`` (what tests compare the marts to), as described in ``seeds/README.md``.
"""

from __future__ import annotations

from seeds.generator.run import DEFAULT_END, DEFAULT_START, generate

__all__ = ["DEFAULT_END", "DEFAULT_START", "generate"]
