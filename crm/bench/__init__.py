"""``crm bench``: time every stage of the pipeline as a whole process, at a scale factor.

``process`` runs one command and measures its wall time and the peak memory of its process tree;
``rows`` counts what a stage wrote; ``floor`` is the least work the job needs (one DuckDB pass);
``stages`` runs the paths (CLI, Airflow DAGs, incremental day, PostgreSQL peer); ``results`` turns
the runs into medians, ratios against ``targets.md`` and the JSON/Markdown files; ``cli`` is the
command. See ``bench/README.md``.
"""
