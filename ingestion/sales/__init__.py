"""The sales source: its entity contracts and its extractor (see README.md in this folder)."""

from ingestion.sales.entities import ENTITIES
from ingestion.sales.extract import extract

__all__ = ["ENTITIES", "extract"]
