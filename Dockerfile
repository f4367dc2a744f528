# The Airflow image for the CRM warehouse: the official image of the pinned Airflow version, plus the
# project's hashed lock and its code. Every Airflow service in docker-compose.yml runs this image.
ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.11
FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}

# Exactly the versions the tests ran with: every wheel checked against its hash in the lock.
COPY --chown=airflow:root requirements.lock /opt/crm/requirements.lock
RUN pip install --no-cache-dir --require-hashes -r /opt/crm/requirements.lock

# The code is imported from /opt/crm (PYTHONPATH), not pip-installed: nothing unhashed is installed.
COPY --chown=airflow:root crm /opt/crm/crm
COPY --chown=airflow:root seeds /opt/crm/seeds
COPY --chown=airflow:root ingestion /opt/crm/ingestion
COPY --chown=airflow:root quality /opt/crm/quality
COPY --chown=airflow:root dbt_project /opt/crm/dbt_project
COPY --chown=airflow:root dags /opt/crm/dags

ENV PYTHONPATH=/opt/crm \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/crm/dags \
    CRM_DATA_DIR=/opt/crm-data
WORKDIR /opt/crm
