"""The support source: its entity contracts and its extractor (see README.md in this folder)."""

from ingestion.support.entities import ENTITIES
from ingestion.support.extract import extract

__all__ = ["ENTITIES", "extract"]
