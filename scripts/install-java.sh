#!/usr/bin/env bash
# Installs Debian's Java 17 for the spark target (docs/spark.md), once: Spark runs on the JVM.
set -euo pipefail
if command -v java >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "java is not on PATH and installing it needs root:" >&2
  echo "  sudo apt-get install -y openjdk-17-jre-headless    (or put a Java 17 on PATH)" >&2
  exit 1
fi
echo "Installing Debian's openjdk-17-jre-headless for Spark ..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
java -version
