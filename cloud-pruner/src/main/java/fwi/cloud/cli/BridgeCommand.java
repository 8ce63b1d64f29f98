package fwi.cloud.cli;

import fwi.cloud.bridge.BridgeSettings;
import fwi.cloud.bridge.BridgeStats;
import fwi.cloud.bridge.MqttKafkaBridge;
import fwi.cloud.service.BridgeConfig;
import fwi.cloud.service.ServiceConfig;
import io.quarkus.runtime.Quarkus;
import io.smallrye.config.SmallRyeConfig;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pruner bridge}: the MQTT → Kafka bridge alone, until stopped (Ctrl-C / SIGTERM), for the
 * horizontally scaled bridge instances of a deployment (deploy/k8s). Unlike {@code pruner serve} it
 * opens no model registry (whose directory lock admits one owner), no planner, no OTA publishers
 * and no HTTP port. Settings: {@code fwi.bridge.*}, {@code fwi.service.mqtt-broker-url} and
 * {@code fwi.service.kafka-bootstrap}. The Kafka topics must exist (KafkaTopic resources, or the
 * {@code serve} instance creates them at its start).
 */
@Command(name = "bridge", mixinStandardHelpOptions = true,
    description = "Runs only the MQTT -> Kafka bridge (fwi.bridge.*, fwi.service.mqtt-broker-url, "
        + "fwi.service.kafka-bootstrap): no registry, planner, OTA or HTTP port. Give every instance a stable "
        + "fwi.bridge.client-id.")
final class BridgeCommand extends CliCommand {
  private static final Logger LOG = Logger.getLogger(BridgeCommand.class);

  @Option(names = "--stats-interval-s", defaultValue = "60",
      description = "Log the bridge's counters this often, seconds; 0: never (default: ${DEFAULT-VALUE}).")
  long statsIntervalS;

  @Override
  public Integer call() throws Exception {
    if (statsIntervalS < 0) {
      throw new IllegalArgumentException("--stats-interval-s must be at least 0, but was " + statsIntervalS);
    }
    SmallRyeConfig config = ConfigProvider.getConfig().unwrap(SmallRyeConfig.class);
    ServiceConfig service = config.getConfigMapping(ServiceConfig.class);
    BridgeConfig bridgeConfig = config.getConfigMapping(BridgeConfig.class);
    if (!bridgeConfig.enabled()) {
      throw new IllegalArgumentException("fwi.bridge.enabled is false: `pruner bridge` has nothing to run");
    }
    BridgeSettings settings = bridgeConfig.settings(service.mqttBrokerUrl(), service.kafkaBootstrap());
    ScheduledExecutorService statsClock = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "fwi-bridge-stats");
      t.setDaemon(true);
      return t;
    });
    try (MqttKafkaBridge bridge = new MqttKafkaBridge(settings)) {
      bridge.start();
      out().println("bridge " + settings.clientId() + " (" + settings.mqttClients() + " MQTT clients in group "
          + settings.sharedGroup() + "): " + settings.mqttUrl() + " -> Kafka " + settings.kafkaBootstrapServers()
          + " (Ctrl-C stops it)");
      out().flush();
      if (statsIntervalS > 0) {
        statsClock.scheduleWithFixedDelay(() -> log(bridge.stats()), statsIntervalS, statsIntervalS, TimeUnit.SECONDS);
      }
      Quarkus.waitForExit();
    } finally {
      statsClock.shutdownNow();
    }
    return 0;
  }

  private static void log(BridgeStats s) {
    LOG.infof("bridge: %d/%d MQTT clients connected, Kafka %s; received %d, forwarded %d, dead letters %d, "
        + "waiting for Kafka %d (oldest %d ms), dropped %d%s", s.mqttClientsConnected(), s.mqttClients(),
        s.kafkaConnected() ? "connected" : "NOT connected", s.received(), s.forwardedTotal(), s.deadLettered(),
        s.waitingForKafka(), s.oldestWaitingMs(), s.dropped(), s.lastError().map(e -> "; last error: " + e).orElse(""));
  }
}
