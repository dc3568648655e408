#!/usr/bin/env bash
# Debian packages the tests need: redis-server (the real Redis of the end-to-end tests), chromium (the web chat
# test drives a real browser) and docker-compose (validates docker-compose.yml without a Docker engine).
# Installs the missing ones when it can (root, or sudo without a password); otherwise says exactly what to run.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo"
else
  echo "The tests need these Debian packages: ${missing[*]}. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing ${missing[*]}"
$SUDO apt-get update -qq
for package in "${missing[@]}"; do
  if [ "$package" = docker-compose ]; then
    # --no-install-recommends keeps the Docker engine (docker.io) out: here it only validates the file.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
  else
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$package" >/dev/null
  fi
done
