package fwi.edge;

import fwi.edge.ota.TrustedKeys;
import fwi.edge.testing.Manifests;
import fwi.testing.MosquittoBroker;
import fwi.edge.testing.TestModels;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * What the agent under test runs against: a real Mosquitto in a child process, a model directory
 * with a bootstrap model ({@code y = x + 2000}, {@code x, y: [N, 4]}), and a manifest-signing key
 * whose public half the agent trusts.
 */
public class AgentTestResource implements QuarkusTestResourceLifecycleManager {
  static MosquittoBroker broker;
  static Manifests manifests;
  static Path dir;
  static byte[] bootstrap;

  @Override
  public Map<String, String> start() {
    try {
      broker = MosquittoBroker.launch();
      manifests = new Manifests();
      dir = Files.createTempDirectory("fwi-agent-test");
      bootstrap = TestModels.plus(2000f, -1, 4);
      Files.write(dir.resolve("bootstrap.onnx"), bootstrap);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> c = new HashMap<>();
    c.put("fwi.mqtt.broker-url", broker.url());
    c.put("fwi.ota.model-dir", dir.resolve("agent").toString());
    c.put("fwi.ota.bootstrap-file", dir.resolve("bootstrap.onnx").toString());
    c.put("fwi.ota.bootstrap-id", "inv-v1");
    c.put("fwi.ota.trusted-keys." + Manifests.KEY_ID, TrustedKeys.toBase64(manifests.keys.getPublic()));
    c.put("fwi.ota.block-timeout-ms", "2000");
    c.put("fwi.ota.health-window-inferences", "5");
    c.put("fwi.ota.health-window-ms", "3000");
    c.put("fwi.report.telemetry-interval-ms", "500");
    c.put("fwi.agent.admin-token", "test-token");
    c.put("fwi.inference.warmup-runs", "1");
    return c;
  }

  @Override
  public void stop() {
    if (broker != null) {
      broker.close();
    }
  }
}
