"""Ingestion: extract each source incrementally, enforce its contracts, land immutable batches, load raw.

Entry points: ``ingestion.run.extract`` / ``ingestion.run.load`` / ``ingestion.run.ingest`` and the
``crm ingest`` / ``crm status`` commands (``ingestion.cli``). See README.md.
"""
