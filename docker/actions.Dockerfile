# The rasa-sdk action server image plus httpx, which actions/backoffice.py uses for a company's order API.
# actions/, bot/ and data/backoffice are mounted by docker-compose.yml; the version comes from requirements.lock.
FROM rasa/rasa-sdk:3.6.2

USER root
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir httpx -c /tmp/requirements.lock && rm /tmp/requirements.lock
USER 1001
