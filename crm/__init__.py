"""Shared plumbing of the CRM warehouse: settings and the ``crm`` command line."""
