package fwi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.edge.inference.Inference;
import fwi.edge.ota.OtaSettings;
import fwi.edge.publish.PublisherSettings;
import fwi.edge.testing.BlockServer;
import fwi.edge.testing.Manifests;
import fwi.testing.MosquittoBroker;
import fwi.testing.MqttTestClient;
import fwi.testing.Poll;
import fwi.edge.testing.TestModels;
import fwi.proto.v1.BlockRequest;
import fwi.proto.v1.OtaState;
import fwi.proto.v1.OtaStatus;
import fwi.proto.v1.VelocityEncoding;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent stopped in the middle of a download and started again on the same directories, against a
 * real Mosquitto: the new agent resumes from its persisted progress and asks only for the blocks it
 * does not have yet.
 */
class AgentRestartTest {
  static final String DEVICE = "restart-1";
  static final int BLOCK = 4;

  @TempDir
  Path dir;

  private Agent agent(MosquittoBroker broker, Manifests manifests, Inference inference) throws Exception {
    Agent.Settings s = new Agent.Settings(DEVICE, Manifests.PROFILE, "test", dir.resolve("agent"),
        Optional.of(dir.resolve("bootstrap.onnx")), Optional.of("inv-v1"), 1, new RunnerOptions(1), 1,
        OtaSettings.builder().maxInFlight(1).blockTimeoutMs(1000).maxRetries(50).progressIntervalMs(50).build(),
        manifests.trusted(),
        PublisherSettings.builder(broker.url(), DEVICE, dir.resolve("agent/outbox")).build(),
        VelocityEncoding.VELOCITY_ENCODING_FLOAT16, 60_000);
    return new Agent(s, inference);
  }

  @Test
  void resumesAnInterruptedDownloadAfterARestartAskingOnlyForMissingBlocks() throws Exception {
    try (MosquittoBroker broker = MosquittoBroker.launch();
        BlockServer blocks = new BlockServer(broker.url());
        MqttTestClient cloud = MqttTestClient.connect(broker.url(), "cloud", "fwi/v1/dev/" + DEVICE + "/ota/get")) {
      Manifests manifests = new Manifests();
      Files.write(dir.resolve("bootstrap.onnx"), TestModels.plus(2000f, -1, 4));
      byte[] v2 = TestModels.plus(2500f, -1, 4);
      int total = (v2.length + BLOCK - 1) / BLOCK;
      blocks.serve(v2);
      blocks.pauseAfter(5);
      // the cloud's retained manifest: delivered again when the restarted agent subscribes
      cloud.publish("fwi/v1/profile/" + Manifests.PROFILE + "/manifest",
          manifests.signed(Manifests.body(v2, "inv-v2", 2, BLOCK)), true);

      Inference first = new Inference(2, 1 << 20, 16);
      Agent a = agent(broker, manifests, first);
      a.start();
      Poll.until(() -> a.otaStatus().map(s -> s.getReceivedBytes() >= 5 * BLOCK).orElse(false), Duration.ofSeconds(30),
          () -> "5 blocks received; last status " + a.otaStatus());
      a.close();
      first.close();
      int before = cloud.received().size();

      blocks.resume();
      Inference second = new Inference(2, 1 << 20, 16);
      Agent b = agent(broker, manifests, second);
      b.start();
      try {
        Poll.until(() -> b.otaStatus().map(s -> s.getState() == OtaState.OTA_STATE_ACTIVE).orElse(false),
            Duration.ofSeconds(30), () -> "ACTIVE after the restart; last status " + b.otaStatus());
        OtaStatus end = b.otaStatus().orElseThrow();
        assertEquals(2, end.getToModel().getVersion());
        List<MqttTestClient.Received> after = cloud.received().subList(before, cloud.received().size());
        Set<Integer> asked = new TreeSet<>();
        for (MqttTestClient.Received r : after) {
          asked.add(BlockRequest.parseFrom(r.payload()).getBlockIndex());
        }
        assertTrue(asked.stream().allMatch(i -> i >= 5), "after the restart it asked again for " + asked);
        assertEquals(total - 5, asked.size(), "blocks asked for after the restart: " + asked);
        FloatTensor out = second.infer("after", new FloatTensor(Shape.of(1, 4), new float[4]), System.nanoTime(), 0)
            .output();
        assertEquals(2500f, out.data()[0]);
      } finally {
        b.close();
        second.close();
      }
    }
  }
}
