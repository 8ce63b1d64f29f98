#!/usr/bin/env bash
# Gives a device its broker account: user name = device id, a fresh random password, added to the
# Mosquitto password file with mosquitto_passwd (Debian package mosquitto). Prints the edge agent
# settings to use on the device (stdout, one key=value per line); the password is shown only here.
#
#   sudo deploy/mosquitto/add-device.sh pi-7                  # /etc/mosquitto/fwi/passwd
#   deploy/mosquitto/add-device.sh --password-file FILE pi-7
#   deploy/mosquitto/add-device.sh --credentials-out sim.cred sim-0001   # also appends "id:password"
#                                                                      # (pruner fleet-sim --credentials)
#   deploy/mosquitto/add-device.sh --replace pi-7                # new password for an existing device
#
# The broker reads the file at start and on reload: `systemctl reload mosquitto` afterwards.
set -euo pipefail
usage() {
  echo "usage: add-device.sh [--password-file FILE] [--credentials-out FILE] [--replace] <device-id>" >&2
  exit 2
}
PASSWD=/etc/mosquitto/fwi/passwd
CRED_OUT=""
REPLACE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --password-file) [ $# -ge 2 ] || usage; PASSWD="$2"; shift 2 ;;
    --credentials-out) [ $# -ge 2 ] || usage; CRED_OUT="$2"; shift 2 ;;
    --replace) REPLACE=yes; shift ;;
    -h|--help) usage ;;
    -*) echo "error: unknown option '$1'" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || usage
DEVICE="$1"
# The agent's and the bridge's device id rule; the ACL's %u needs it too (no + # /).
if ! [[ "$DEVICE" =~ ^[A-Za-z0-9_-]{1,64}$ ]]; then
  echo "error: device id must match [A-Za-z0-9_-]{1,64}, but was '$DEVICE'" >&2
  exit 2
fi
if [ "$DEVICE" = "fwi-cloud" ]; then
  echo "error: device id 'fwi-cloud' is the cloud service's user name" >&2
  exit 2
fi
MOSQUITTO_PASSWD="$(command -v mosquitto_passwd || true)"
[ -n "$MOSQUITTO_PASSWD" ] || MOSQUITTO_PASSWD=/usr/bin/mosquitto_passwd
[ -x "$MOSQUITTO_PASSWD" ] || { echo "error: mosquitto_passwd not found: apt-get install mosquitto" >&2; exit 1; }

if [ -f "$PASSWD" ] && grep -q "^${DEVICE}:" "$PASSWD" && [ -z "$REPLACE" ]; then
  echo "error: $PASSWD has an entry for '$DEVICE' already; --replace gives it a new password" >&2
  exit 1
fi
# 24 random bytes, base64 without characters that need quoting in env files or properties.
PASSWORD="$(head -c 24 /dev/urandom | base64 | tr -d '\n=' | tr '+/' '-_')"
if [ ! -f "$PASSWD" ]; then
  mkdir -p "$(dirname "$PASSWD")"
  (umask 027 && : > "$PASSWD")
fi
# The password goes through stdin, not the command line, so it never shows in the process list.
printf '%s\n%s\n' "$PASSWORD" "$PASSWORD" | "$MOSQUITTO_PASSWD" "$PASSWD" "$DEVICE" > /dev/null
chmod 0640 "$PASSWD"
if [ "$(id -u)" -eq 0 ] && getent group mosquitto > /dev/null; then
  chgrp mosquitto "$PASSWD" # the broker re-reads it on reload after dropping root
fi
if [ -n "$CRED_OUT" ]; then
  (umask 077 && printf '%s:%s\n' "$DEVICE" "$PASSWORD" >> "$CRED_OUT")
fi

cat <<EOF
fwi.agent.device-id=$DEVICE
fwi.mqtt.username=$DEVICE
fwi.mqtt.password=$PASSWORD
EOF
cat >&2 <<EOF
added '$DEVICE' to $PASSWD. On the device, set the lines above (deploy/pi: FWI_AGENT_DEVICE_ID,
FWI_MQTT_USERNAME, FWI_MQTT_PASSWORD in /etc/fwi-edge/agent.env; FWI_MQTT_BROKER_URL=ssl://<broker>:8883
and fwi.mqtt.tls-ca-file=<ca.crt of make-certs.sh> if the CA is not in the JVM's trust store).
Then reload the broker: systemctl reload mosquitto
EOF
