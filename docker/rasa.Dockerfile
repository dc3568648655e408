# Rasa with Passerelle's model baked in; built by docker-compose.yml from the repository root.
# Run `make compose-model` first: it trains the model if needed (make train) and copies it to
# build/docker/model.tar.gz, next to the spaCy pipeline build/spacy/fr_en that `make setup` builds.
FROM rasa/rasa:3.6.21-full

# config.yml's SpacyNLP loads this folder at run time (it is not stored in the model), relative to /app.
COPY --chown=1001:0 build/spacy/fr_en /app/build/spacy/fr_en
COPY --chown=1001:0 endpoints.yml credentials.yml /app/
COPY --chown=1001:0 build/docker/model.tar.gz /app/models/passerelle.tar.gz
# config.yml's intent classifier is the project's own component (bot/nlp/linear_intent_classifier.py); Rasa puts
# its working directory (/app) on the import path.
COPY --chown=1001:0 bot/__init__.py /app/bot/__init__.py
COPY --chown=1001:0 bot/nlp/__init__.py bot/nlp/linear_intent_classifier.py /app/bot/nlp/
