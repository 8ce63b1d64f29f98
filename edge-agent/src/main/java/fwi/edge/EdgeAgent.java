package fwi.edge;

import fwi.edge.inference.InferenceService;
import fwi.edge.inference.ModelInfo;
import fwi.edge.ota.OtaConfig;
import fwi.edge.ota.OtaSettings;
import fwi.edge.ota.TrustedKeys;
import fwi.edge.publish.MqttConfig;
import fwi.edge.publish.PublisherSettings;
import fwi.edge.telemetry.ReportConfig;
import fwi.edge.web.AgentStatus;
import fwi.proto.v1.VelocityEncoding;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The running {@link Agent}, built from configuration at start-up. Every setting is checked in the
 * constructor, so a bad one stops the agent before it touches the broker, naming the key and value.
 */
@ApplicationScoped
public class EdgeAgent implements AgentStatus {
  private final InferenceService inferenceService;
  private final Agent.Settings settings;
  private Agent agent;

  EdgeAgent(AgentIdentity identity, InferenceService inferenceService, OtaConfig otaConfig, MqttConfig mqttConfig,
      ReportConfig reportConfig, @ConfigProperty(name = "quarkus.application.version", defaultValue = "0.1.0")
      String agentVersion) {
    this.inferenceService = inferenceService;
    OtaSettings ota = otaConfig.settings();
    TrustedKeys keys = otaConfig.keys();
    VelocityEncoding encoding = encoding(reportConfig.resultEncoding());
    if (reportConfig.telemetryIntervalMs() < 100) {
      throw new IllegalArgumentException("fwi.report.telemetry-interval-ms must be at least 100, but was "
          + reportConfig.telemetryIntervalMs());
    }
    PublisherSettings mqtt = mqttConfig.settings(identity.deviceId(), otaConfig.modelDir().resolve("outbox"));
    settings = new Agent.Settings(identity.deviceId(), identity.profile(), agentVersion, otaConfig.modelDir(),
        otaConfig.bootstrapFile(), otaConfig.bootstrapId(), otaConfig.bootstrapVersion(), inferenceService.runnerOptions(),
        inferenceService.warmupRuns(), ota, keys, mqtt, encoding, reportConfig.telemetryIntervalMs());
  }

  static VelocityEncoding encoding(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "float16" -> VelocityEncoding.VELOCITY_ENCODING_FLOAT16;
      case "uint16" -> VelocityEncoding.VELOCITY_ENCODING_UINT16_SCALED;
      case "float32" -> VelocityEncoding.VELOCITY_ENCODING_FLOAT32;
      case "none" -> VelocityEncoding.VELOCITY_ENCODING_UNSPECIFIED;
      default -> throw new IllegalArgumentException("fwi.report.result-encoding must be float16, uint16, float32 or none,"
          + " but was '" + name + "'");
    };
  }

  void start(@Observes StartupEvent e) throws IOException {
    agent = new Agent(settings, inferenceService.inference());
    agent.start();
  }

  /**
   * Operator's rollback to the previous model.
   *
   * @return completes with the model serving afterwards; fails if there is no previous model or it fails its smoke test
   */
  public CompletableFuture<ModelInfo> rollback(String why) {
    return agent.rollback(why);
  }

  /** Runs before inference closes (lower priority value first). */
  void stop(@Observes @Priority(1) ShutdownEvent e) {
    if (agent != null) {
      agent.close();
    }
  }

  @Override
  public boolean brokerConnected() {
    return agent != null && agent.brokerConnected();
  }

  @Override
  public long publishBuffered() {
    return agent == null ? 0 : agent.publishBuffered();
  }

  @Override
  public long publishDropped() {
    return agent == null ? 0 : agent.publishDropped();
  }

  @Override
  public long publishUnmatched() {
    return agent == null ? 0 : agent.publishUnmatched();
  }

  @Override
  public long publishSent() {
    return agent == null ? 0 : agent.publishSent();
  }

  @Override
  public String otaState() {
    return agent == null ? "IDLE" : agent.otaState();
  }
}
