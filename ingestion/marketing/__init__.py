"""The marketing source: its entity contracts and its extractor (see README.md in this folder)."""

from ingestion.marketing.entities import ENTITIES
from ingestion.marketing.extract import extract

__all__ = ["ENTITIES", "extract"]
