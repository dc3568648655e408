# The gateway (`bot serve`): webhooks, web chat, Slack handoff, /healthz and /metrics. No Rasa, no TensorFlow:
# it installs only docker/gateway-requirements.txt, at the versions of requirements.lock (about 60 MB, plus about
# 380 MB of scikit-learn and matplotlib for the service digest). data/nlu: the intents the digest's topics are told
# apart from.
FROM python:3.10-slim

ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1 MPLCONFIGDIR=/tmp/matplotlib
WORKDIR /app
COPY requirements.lock docker/gateway-requirements.txt /tmp/
RUN pip install --no-cache-dir -r /tmp/gateway-requirements.txt -c /tmp/requirements.lock \
    && rm /tmp/requirements.lock /tmp/gateway-requirements.txt \
    && useradd --system --uid 1001 --gid 0 --home-dir /app passerelle
COPY bot /app/bot
COPY data/nlu /app/data/nlu
USER 1001
EXPOSE 8080
CMD ["python", "-m", "bot", "serve", "--host", "0.0.0.0", "--port", "8080"]
