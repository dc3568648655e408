# The rasa-sdk action server image plus httpx, which actions/backoffice.py uses for a company's order API.
# The version comes from requirements.lock. actions/, bot/ (the actions use bot/nlp/language.py and bot/notices.py) and
# data/backoffice are copied in, for Kubernetes (deploy/k8s/actions.yaml); docker-compose.yml also mounts them
# read-only over these copies, so the code in the folder is what Compose runs.
FROM rasa/rasa-sdk:3.6.2

USER root
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir httpx -c /tmp/requirements.lock && rm /tmp/requirements.lock
COPY --chown=1001:0 actions /app/actions
COPY --chown=1001:0 bot /app/bot
COPY --chown=1001:0 data/backoffice /app/data/backoffice
USER 1001
