package fwi.edge.bench;

import fwi.edge.Agent;
import fwi.edge.inference.Inference;
import fwi.edge.ota.OtaSettings;
import fwi.edge.publish.PublisherSettings;
import fwi.edge.testing.Manifests;
import fwi.testing.MosquittoBroker;
import fwi.testing.MqttTestClient;
import fwi.testing.Poll;
import fwi.edge.testing.TestModels;
import fwi.proto.v1.InferenceResult;
import fwi.proto.v1.VelocityEncoding;
import fwi.runtime.ort.RunnerOptions;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Benchmark, not a test: the sustained rate at which one agent gets results to the broker. The model
 * is {@code y = x + 2000} on {@code [N, 4900]} (a 70 x 70 map, so each result carries a 9.8 KB float16
 * map) and costs microseconds, so the figure is the agent's publish path (result message, outbox,
 * Paho, Mosquitto on loopback), not inference. A subscriber counts what arrives and checks the
 * sequence numbers. Run with {@code -Dfwi.bench=true} (deploy/bin/bench-agent does).
 */
@EnabledIfSystemProperty(named = "fwi.bench", matches = "true")
class AgentPublishBench {
  @TempDir
  Path dir;

  @Test
  void sustainedResultPublishRate() throws Exception {
    int seconds = Integer.getInteger("fwi.bench.seconds", 10);
    try (MosquittoBroker broker = MosquittoBroker.launch();
        MqttTestClient sub = MqttTestClient.connect(broker.url(), "counter", "fwi/v1/dev/bench-pub/result")) {
      Manifests manifests = new Manifests();
      Files.write(dir.resolve("m.onnx"), TestModels.plus(2000f, -1, 4900));
      Agent.Settings s = new Agent.Settings("bench-pub", Manifests.PROFILE, "bench", dir.resolve("agent"),
          Optional.of(dir.resolve("m.onnx")), Optional.of("plus"), 1, new RunnerOptions(1), 1, OtaSettings.defaults(),
          manifests.trusted(), PublisherSettings.builder(broker.url(), "bench-pub", dir.resolve("agent/outbox")).build(),
          VelocityEncoding.VELOCITY_ENCODING_FLOAT16, 60_000);
      try (Inference inference = new Inference(8, 1 << 24, 64)) {
        Agent agent = new Agent(s, inference);
        agent.start();
        Poll.until(agent::brokerConnected, Duration.ofSeconds(10), () -> "connected");
        FloatTensor x = new FloatTensor(Shape.of(1, 4900), new float[4900]);
        long t0 = System.nanoTime();
        long end = t0 + seconds * 1_000_000_000L;
        int produced = 0;
        while (System.nanoTime() < end) {
          inference.infer("r" + produced, x, System.nanoTime(), System.currentTimeMillis());
          produced++;
        }
        double produceS = (System.nanoTime() - t0) / 1e9;
        int target = produced;
        Poll.until(() -> agent.publishSent() >= target, Duration.ofSeconds(120), () -> target + " acknowledged");
        double ackS = (System.nanoTime() - t0) / 1e9;
        sub.awaitUntil(l -> l.size() >= target, Duration.ofSeconds(120), produced + " results");
        double deliverS = (System.nanoTime() - t0) / 1e9;
        long lastSeq = 0;
        int gaps = 0;
        int repeats = 0;
        int bytes = 0;
        for (MqttTestClient.Received r : sub.received()) {
          long seq = InferenceResult.parseFrom(r.payload()).getHeader().getSequence();
          if (seq <= lastSeq) {
            repeats++;
          } else {
            gaps += seq > lastSeq + 1 ? 1 : 0;
            lastSeq = seq;
          }
          bytes = r.payload().length;
        }
        System.out.printf("agent publish bench: %d results of %d bytes produced in %.1f s (%.0f/s); all acknowledged by "
            + "the broker after %.1f s: %.0f results/s = %.1f MB/s sustained; all delivered to a Paho subscriber after "
            + "%.1f s (%.0f/s); gaps %d, repeats %d, dropped %d%n", produced, bytes, produceS, produced / produceS, ackS,
            produced / ackS, produced * (double) bytes / ackS / 1e6, deliverS, produced / deliverS, gaps, repeats,
            agent.publishDropped());
        agent.close();
      }
    }
  }
}
