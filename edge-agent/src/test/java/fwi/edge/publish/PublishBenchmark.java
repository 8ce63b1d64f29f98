package fwi.edge.publish;

import com.google.protobuf.ByteString;
import fwi.testing.MosquittoBroker;
import fwi.testing.MqttTestClient;
import fwi.testing.Poll;
import fwi.proto.v1.InferenceResult;
import fwi.proto.v1.VelocityEncoding;
import fwi.proto.v1.VelocityMap;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Throughput figures for BENCHMARKS.md, printed, never asserted (a benchmark is not a test; the
 * class name keeps it out of the default test run):
 *
 * <pre>
 * mvn -B -o -q test -pl edge-agent -Dtest=PublishBenchmark -Dfwi.bench=true [-Dfwi.bench.dir=/path/on/sd]
 * </pre>
 *
 * Outbox: append, then next + ack, of 2 KB payloads under each fsync policy, in
 * {@code fwi.bench.dir} (default: a temporary directory; point it at the SD card on a Pi).
 * End to end: 10 KB results (a float16 70 x 70 map) through the publisher and Mosquitto on
 * loopback (with and without the broker's {@code set_tcp_nodelay}), timed from the first publish
 * to the last PUBACK, and to the last arrival at a QoS 1 subscriber: the Paho test client and, if
 * the Debian package mosquitto-clients is installed, {@code mosquitto_sub}.
 */
@EnabledIfSystemProperty(named = "fwi.bench", matches = "true")
class PublishBenchmark {
  private static final int MESSAGES = 5_000;

  @TempDir
  Path tmp;

  private Path benchDir(String name) throws IOException {
    Path base = Optional.ofNullable(System.getProperty("fwi.bench.dir")).map(Path::of).orElse(tmp);
    return Files.createDirectories(base.resolve(name + "-" + System.nanoTime()));
  }

  private static double rate(int n, long from, long to) {
    return n / ((to - from) / 1e9);
  }

  @Test
  void outboxAppendAndAck() throws IOException {
    byte[] payload = new byte[2048];
    ThreadLocalRandom.current().nextBytes(payload);
    System.out.println("outbox, 2 KB payloads (" + System.getProperty("os.arch") + ", "
        + Runtime.getRuntime().availableProcessors() + " cpus)");
    outbox("never", FsyncPolicy.never(), payload, 100_000);
    outbox("interval 1 s", FsyncPolicy.interval(Duration.ofSeconds(1)), payload, 100_000);
    outbox("every append", FsyncPolicy.everyAppend(), payload, 2_000);
  }

  private void outbox(String label, FsyncPolicy fsync, byte[] payload, int n) throws IOException {
    Path dir = benchDir("outbox");
    for (int round = 0; round < 2; round++) { // the first round warms up the JIT
      try (Outbox outbox = Outbox.open(dir, 1L << 30, fsync)) {
        long t0 = System.nanoTime();
        for (int i = 1; i <= n; i++) {
          outbox.append(Stream.RESULT, i, payload);
        }
        long t1 = System.nanoTime();
        for (Optional<Outbox.Entry> e = outbox.next(); e.isPresent(); e = outbox.next()) {
          outbox.ack(e.get().id());
        }
        long t2 = System.nanoTime();
        for (int i = 1; i <= n; i++) { // the publisher's steady state: one in, one out
          outbox.append(Stream.RESULT, i, payload);
          outbox.ack(outbox.next().orElseThrow().id());
        }
        long t3 = System.nanoTime();
        if (round == 1) {
          System.out.printf("  fsync %-13s append %,9.0f msg/s | next+ack %,9.0f msg/s | append+next+ack %,9.0f msg/s"
              + " (%,d messages)%n", label, rate(n, t0, t1), rate(n, t1, t2), rate(n, t2, t3), n);
        }
      }
    }
  }

  @Test
  void endToEndThroughMosquitto() throws Exception {
    byte[] map = new byte[70 * 70 * 2];
    ThreadLocalRandom.current().nextBytes(map);
    System.out.println("end to end, 10 KB results (float16 70 x 70 map), Mosquitto on loopback, QoS 1, "
        + MESSAGES + " messages");
    for (String nodelay : new String[] {"false", "true"}) {
      try (MosquittoBroker broker = MosquittoBroker.launch("set_tcp_nodelay " + nodelay)) {
        for (int inFlight : new int[] {10, 18}) {
          for (int round = 0; round < 2; round++) { // the first round warms up the JIT
            endToEnd(broker, "bench-" + nodelay + "-" + inFlight + "-" + round, inFlight, map, round == 1,
                "broker set_tcp_nodelay " + nodelay + ", max in flight " + inFlight);
          }
        }
      }
    }
  }

  private void endToEnd(MosquittoBroker broker, String device, int inFlight, byte[] map, boolean print, String label)
      throws Exception {
    int n = MESSAGES;
    try (MqttPublisher publisher = MqttPublisherTest.started(MqttPublisherTest.settings(broker, device,
        benchDir("e2e")).maxInFlight(inFlight).fsync(FsyncPolicy.interval(Duration.ofSeconds(1)))
        .outboxMaxBytes(256L << 20).build())) {
      MqttPublisherTest.awaitConnected(publisher);
      List<Long> publishNanos = new ArrayList<>();
      long t0;
      long t1;
      long t2;
      long t3;
      try (MqttTestClient cloud = MqttTestClient.connect(broker.url(), "cloud-" + device,
          Stream.RESULT.topic(device))) {
        t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          long p0 = System.nanoTime();
          publisher.publish(Stream.RESULT, h -> result(h, map));
          publishNanos.add(System.nanoTime() - p0);
        }
        t1 = System.nanoTime();
        Poll.until(() -> publisher.sentCount(Stream.RESULT) >= n, Duration.ofMinutes(2), () -> "all acknowledged");
        t2 = System.nanoTime();
        Poll.until(() -> cloud.count() >= n, Duration.ofMinutes(2), () -> "all received: " + cloud.count());
        t3 = System.nanoTime();
      }
      publishNanos.sort(null);
      double external = print ? viaMosquittoSub(broker, publisher, device, map, n) : 0;
      if (print) {
        int bytes = result(fwi.proto.v1.Header.getDefaultInstance(), map).getSerializedSize();
        System.out.printf("  %s: acked by the broker %,6.0f msg/s (%,.1f MB/s); delivered to mosquitto_sub %,6.0f"
                + " msg/s, to a Paho subscriber %,6.0f msg/s | publish() %,7.0f calls/s, p50 %.0f us, p99 %.0f us%n",
            label, rate(n, t0, t2), rate(n, t0, t2) * bytes / 1e6, external, rate(n, t0, t3), rate(n, t0, t1),
            publishNanos.get(n / 2) / 1e3, publishNanos.get(n * 99 / 100) / 1e3);
      }
    }
  }

  private static InferenceResult result(fwi.proto.v1.Header h, byte[] map) {
    return InferenceResult.newBuilder().setHeader(h).setInputId("shot")
        .setVelocityMap(VelocityMap.newBuilder().setEncoding(VelocityEncoding.VELOCITY_ENCODING_FLOAT16)
            .addShape(1).addShape(1).addShape(70).addShape(70).setData(ByteString.copyFrom(map)))
        .build();
  }

  /**
   * Delivered rate of {@code n} more results to {@code mosquitto_sub} (QoS 1), an independent C
   * subscriber, or 0 if the Debian package mosquitto-clients (or coreutils' stdbuf) is missing.
   */
  private static double viaMosquittoSub(MosquittoBroker broker, MqttPublisher publisher, String device, byte[] map,
      int n) throws Exception {
    Path sub = Path.of("/usr/bin/mosquitto_sub");
    Path stdbuf = Path.of("/usr/bin/stdbuf");
    if (!Files.isExecutable(sub) || !Files.isExecutable(stdbuf)) {
      return 0;
    }
    // Line-buffered, or the SUBACK line would wait in stdio's buffer, and we for it, forever.
    Process p = new ProcessBuilder(stdbuf.toString(), "-oL", sub.toString(), "-h", "127.0.0.1",
        "-p", String.valueOf(broker.port()), "-V", "mqttv5", "-q", "1", "-t", Stream.RESULT.topic(device),
        "-C", String.valueOf(n), "-d", "-F", "%t")
        .redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      for (String line = out.readLine(); line != null && !line.contains("SUBACK"); line = out.readLine()) {
        // not subscribed yet
      }
      Thread drain = new Thread(() -> {
        try {
          out.transferTo(Writer.nullWriter());
        } catch (IOException e) {
          // the process ended
        }
      });
      drain.start();
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        publisher.publish(Stream.RESULT, h -> result(h, map));
      }
      if (!p.waitFor(2, TimeUnit.MINUTES)) {
        throw new IllegalStateException("mosquitto_sub did not receive " + n + " messages in 2 min");
      }
      long t1 = System.nanoTime();
      drain.join();
      return rate(n, t0, t1);
    } finally {
      p.destroyForcibly();
    }
  }
}
