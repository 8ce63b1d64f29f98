#!/usr/bin/env bash
# Installs the FWI edge agent on a Raspberry Pi (Raspberry Pi OS / Debian, aarch64 or x86_64), as root:
#
#   sudo deploy/pi/install.sh edge-agent/target/quarkus-app [device-id] [profile]
#
# The first argument is the agent as built on any machine with `mvn -pl edge-agent -am package`
# (ONNX Runtime's jar carries the aarch64 native library). Re-running upgrades the agent in place and
# keeps the device's configuration, models and outbox.
set -euo pipefail
APP="${1:?usage: install.sh <quarkus-app dir> [device-id] [profile]}"
DEVICE="${2:-$(hostname -s)}"
PROFILE="${3:-pi-4b}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ "$(id -u)" -eq 0 ] || { echo "error: run as root (sudo)" >&2; exit 1; }
[ -f "$APP/quarkus-run.jar" ] || { echo "error: $APP/quarkus-run.jar not found; build with: mvn -pl edge-agent -am package" >&2; exit 1; }

if ! command -v java >/dev/null || [ "$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)" -lt 17 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless
fi
id fwi >/dev/null 2>&1 || useradd --system --home-dir /var/lib/fwi-edge --shell /usr/sbin/nologin fwi

install -d -o fwi -g fwi -m 0750 /var/lib/fwi-edge /var/lib/fwi-edge/models /var/lib/fwi-edge/outbox /var/lib/fwi-edge/inbox
install -d -m 0755 /opt/fwi-edge /etc/fwi-edge
# Stage the new build next to the old one and swap directories, so a failed copy never leaves half an agent.
rm -rf /opt/fwi-edge.new && cp -a "$APP" /opt/fwi-edge.new
rm -rf /opt/fwi-edge.old && mv /opt/fwi-edge /opt/fwi-edge.old && mv /opt/fwi-edge.new /opt/fwi-edge

if [ ! -f /etc/fwi-edge/agent.env ]; then
  sed -e "s/^FWI_AGENT_DEVICE_ID=.*/FWI_AGENT_DEVICE_ID=$DEVICE/" -e "s/^FWI_AGENT_PROFILE=.*/FWI_AGENT_PROFILE=$PROFILE/" \
    "$HERE/agent.env" > /etc/fwi-edge/agent.env
  chown root:fwi /etc/fwi-edge/agent.env && chmod 0640 /etc/fwi-edge/agent.env
fi
if [ ! -f /etc/fwi-edge/application.properties ]; then
  install -o root -g fwi -m 0640 "$HERE/application.properties" /etc/fwi-edge/application.properties
fi
install -m 0644 "$HERE/fwi-edge-agent.service" /etc/systemd/system/fwi-edge-agent.service
systemctl daemon-reload
systemctl enable fwi-edge-agent.service
systemctl restart fwi-edge-agent.service
echo "installed; status: systemctl status fwi-edge-agent; logs: journalctl -u fwi-edge-agent -f; page: http://$(hostname -I | awk '{print $1}'):8081/"
