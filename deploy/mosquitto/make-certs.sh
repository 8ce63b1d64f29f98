#!/usr/bin/env bash
# TLS material of the broker's device listener, made with openssl (EC P-256, SHA-256):
#
#   deploy/mosquitto/make-certs.sh <out-dir> <broker-name> [<name or IP> ...]
#       a private CA (once: ca.key, ca.crt, kept and reused on later runs) and a server certificate
#       for the names and IP addresses given (server.key, server.crt, SAN = all of them)
#   deploy/mosquitto/make-certs.sh --device <device-id> <out-dir>
#       a client certificate (CN = device id) signed by the CA in <out-dir>: <device-id>.key/.crt,
#       for mutual TLS (see mosquitto.conf: require_certificate, use_identity_as_username)
#
# The broker needs ca.crt, server.crt, server.key (install in /etc/mosquitto/fwi/tls, keys 0640
# root:mosquitto); devices need only ca.crt (fwi.mqtt.tls-ca-file). ca.key signs everything: keep it
# offline. <out-dir> must lie outside this repository: keys never belong in version control.
set -euo pipefail
usage() {
  echo "usage: make-certs.sh <out-dir> <broker-name> [<name or IP> ...]" >&2
  echo "       make-certs.sh --device <device-id> <out-dir>" >&2
  exit 2
}
DAYS_CA=3650
DAYS_LEAF=825 # the longest validity common TLS clients accept for leaf certificates
DEVICE=""
if [ "${1:-}" = "--device" ]; then
  [ $# -eq 3 ] || usage
  DEVICE="$2"
  OUT="$3"
  if ! [[ "$DEVICE" =~ ^[A-Za-z0-9_-]{1,64}$ ]]; then
    echo "error: device id must match [A-Za-z0-9_-]{1,64}, but was '$DEVICE'" >&2
    exit 2
  fi
else
  [ $# -ge 2 ] || usage
  OUT="$1"
  shift
fi
command -v openssl > /dev/null || { echo "error: openssl not found: apt-get install openssl" >&2; exit 1; }

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
OUT="$(realpath -m "$OUT")"
case "$OUT/" in
  "$REPO"/*) echo "error: $OUT is inside the repository $REPO; give a directory outside it" >&2; exit 2 ;;
esac
mkdir -p "$OUT"
umask 077

# Runs a command silently, showing its output only when it fails.
quiet() {
  local out
  if ! out="$("$@" 2>&1)"; then
    echo "$out" >&2
    return 1
  fi
}
ec_key() { quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

if [ -n "$DEVICE" ]; then
  [ -f "$OUT/ca.key" ] && [ -f "$OUT/ca.crt" ] || { echo "error: no CA in $OUT (ca.key, ca.crt): make it first" >&2; exit 1; }
  ec_key "$OUT/$DEVICE.key"
  openssl req -new -key "$OUT/$DEVICE.key" -subj "/CN=$DEVICE/O=FWI fleet device" -out "$OUT/$DEVICE.csr"
  quiet openssl x509 -req -in "$OUT/$DEVICE.csr" -CA "$OUT/ca.crt" -CAkey "$OUT/ca.key" -CAcreateserial \
    -days "$DAYS_LEAF" -sha256 -out "$OUT/$DEVICE.crt" -extfile <(printf '%s\n' \
      "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" "extendedKeyUsage=clientAuth")
  rm -f "$OUT/$DEVICE.csr"
  echo "device certificate: $OUT/$DEVICE.crt, key: $OUT/$DEVICE.key" >&2
  exit 0
fi

if [ ! -f "$OUT/ca.key" ]; then
  ec_key "$OUT/ca.key"
  openssl req -x509 -new -key "$OUT/ca.key" -subj "/CN=FWI fleet MQTT CA" -days "$DAYS_CA" -sha256 \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$OUT/ca.crt"
  echo "made the CA: $OUT/ca.crt (key $OUT/ca.key)" >&2
else
  echo "reusing the CA in $OUT" >&2
fi

SAN=""
for name in "$@"; do
  if [[ "$name" =~ ^[0-9.]+$ || "$name" == *:* ]]; then
    SAN="${SAN:+$SAN,}IP:$name"
  else
    SAN="${SAN:+$SAN,}DNS:$name"
  fi
done
ec_key "$OUT/server.key"
openssl req -new -key "$OUT/server.key" -subj "/CN=$1" -out "$OUT/server.csr"
quiet openssl x509 -req -in "$OUT/server.csr" -CA "$OUT/ca.crt" -CAkey "$OUT/ca.key" -CAcreateserial \
  -days "$DAYS_LEAF" -sha256 -out "$OUT/server.crt" -extfile <(printf '%s\n' \
    "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
    "subjectAltName=$SAN")
rm -f "$OUT/server.csr"
chmod 0644 "$OUT/ca.crt" "$OUT/server.crt"
echo "server certificate for $SAN: $OUT/server.crt (key $OUT/server.key)" >&2
