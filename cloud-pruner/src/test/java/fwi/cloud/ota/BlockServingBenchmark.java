package fwi.cloud.ota;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import fwi.cloud.registry.BlockLayout;
import fwi.cloud.registry.ModelRegistry;
import fwi.cloud.registry.Registration;
import fwi.proto.v1.BlockRequest;
import fwi.testing.MosquittoBroker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Block serving throughput through Mosquitto on loopback, printed, never asserted (a benchmark is
 * not a test; the class name keeps it out of the default test run):
 *
 * <pre>
 * mvn -B -o -q test -pl cloud-pruner -Dtest=BlockServingBenchmark -Dfwi.bench=true [-Dfwi.bench.width=0.5]
 * </pre>
 *
 * An InversionNet file (width {@code fwi.bench.width}, default 0.5: about 24 MB) in 64 KiB
 * blocks, served by one {@link BlockPublisher} (4 workers, no rate limit), measured two ways:
 * <ul>
 *   <li>end to end: device-like Paho clients keep a window of requests in flight (the edge
 *       agent's default is 4) and reassemble the file; timed from the first request to the last
 *       block, after one warm-up download; one device, then 20 at once. Paho's receive path is the
 *       slower end here (its subscriber takes 64 KiB messages at a fraction of the rate its
 *       publisher sends them);
 *   <li>server capacity: each device's responses go to a {@code mosquitto_sub} (C client, if
 *       installed) and all requests are sent at once, so the publisher and the broker set the pace.
 * </ul>
 * Brokers: Mosquitto's defaults (Nagle's algorithm on its sockets) and {@code set_tcp_nodelay true}.
 */
@EnabledIfSystemProperty(named = "fwi.bench", matches = "true")
class BlockServingBenchmark {
  private static final int BLOCK = 64 * 1024;
  private static final Duration TIMEOUT = Duration.ofMinutes(5);
  private static final Path MOSQUITTO_SUB = Path.of("/usr/bin/mosquitto_sub");
  private static final Path STDBUF = Path.of("/usr/bin/stdbuf");

  @TempDir
  Path dir;

  @Test
  void blockServingThroughput() throws Exception {
    double width = Double.parseDouble(System.getProperty("fwi.bench.width", "0.5"));
    byte[] model = OtaFixtures.inversionNet(width, 0);
    try (ModelRegistry registry = OtaFixtures.registry(dir, BLOCK)) {
      BlockLayout layout = registry.register("pi-4b", model, "bench.onnx", Registration.none()).layout();
      System.out.printf(Locale.ROOT, "%nmodel: InversionNet width %s, %,d bytes, %d blocks of %d KiB; %d CPUs%n",
          width, model.length, layout.blockCount(), BLOCK / 1024, Runtime.getRuntime().availableProcessors());
      for (String[] brokerConfig : List.of(new String[0], new String[] {"set_tcp_nodelay true"})) {
        try (MosquittoBroker broker = MosquittoBroker.launch(brokerConfig)) {
          String label = brokerConfig.length == 0 ? "mosquitto defaults" : String.join(", ", brokerConfig);
          BlockPublisher p = new BlockPublisher(registry, MqttSettings.of(broker.url(), "bench-blocks")
              .withMaxInFlight(100), BlockPublisherSettings.builder().unlimited().workerThreads(4)
              .queueCapacity(100_000).build(), BlockAccess.ALLOW_ALL);
          try (p) {
            p.start();
            assertTrue(p.awaitConnected(Duration.ofSeconds(20)));
            endToEnd(broker, layout, model, 1, 4, label);
            endToEnd(broker, layout, model, 1, 16, label);
            endToEnd(broker, layout, model, 20, 4, label);
            if (Files.isExecutable(MOSQUITTO_SUB)) {
              capacity(broker, layout, model, 1, 5, label);
              capacity(broker, layout, model, 20, 1, label);
            } else {
              System.out.println("  (no " + MOSQUITTO_SUB + ": server capacity not measured)");
            }
            System.out.printf(Locale.ROOT, "  publisher: %,d blocks served, %,d publish failures, %,d overloaded%n",
                p.stats().blocksServed(), p.stats().publishFailures(), p.stats().overloaded());
          }
        }
      }
    }
  }

  private static void endToEnd(MosquittoBroker broker, BlockLayout layout, byte[] model, int devices, int window,
      String label) throws Exception {
    List<TestDevice> ds = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(devices);
    try {
      for (int i = 0; i < devices; i++) {
        ds.add(new TestDevice(broker.url(), "bench-" + devices + "-" + window + "-" + i));
      }
      download(pool, ds, layout, model, window); // warm-up
      long t0 = System.nanoTime();
      download(pool, ds, layout, model, window);
      print(label + ", Paho devices", devices, "window " + window, (long) devices * layout.blockCount(), model.length,
          System.nanoTime() - t0);
    } finally {
      pool.shutdownNow();
      ds.forEach(TestDevice::close);
    }
  }

  private static void download(ExecutorService pool, List<TestDevice> ds, BlockLayout layout, byte[] model, int window)
      throws Exception {
    List<Future<byte[]>> fs = new ArrayList<>();
    for (TestDevice d : ds) {
      fs.add(pool.submit(() -> d.download(layout, window, TIMEOUT)));
    }
    for (Future<byte[]> f : fs) {
      assertArrayEquals(model, f.get());
    }
  }

  /** Every device's responses counted by a mosquitto_sub; all requests sent at once by one Paho client. */
  private static void capacity(MosquittoBroker broker, BlockLayout layout, byte[] model, int devices, int rounds,
      String label) throws Exception {
    int perDevice = rounds * layout.blockCount();
    List<Process> subs = new ArrayList<>();
    try {
      for (int i = 0; i < devices; i++) {
        subs.add(subscriber(broker, "cap-" + devices + "-" + i, perDevice));
      }
      MqttAsyncClient requester = new MqttAsyncClient(broker.url(), "bench-requester-" + System.nanoTime(),
          new MemoryPersistence());
      requester.connect().waitForCompletion(10_000);
      Semaphore inFlight = new Semaphore(16);
      ByteString sha = ByteString.copyFrom(HexFormat.of().parseHex(layout.sha256Hex()));
      long t0 = System.nanoTime();
      for (int r = 0; r < rounds; r++) {
        for (int b = 0; b < layout.blockCount(); b++) {
          for (int d = 0; d < devices; d++) {
            byte[] q = BlockRequest.newBuilder().setRequestId(r + "/" + b).setModelSha256(sha).setBlockIndex(b)
                .setOffsetBytes(layout.offset(b)).setLengthBytes(layout.length(b)).build().toByteArray();
            inFlight.acquire();
            requester.publish("fwi/v1/dev/cap-" + devices + "-" + d + "/ota/get", q, 1, false, null,
                new MqttActionListener() {
                  @Override
                  public void onSuccess(IMqttToken t) {
                    inFlight.release();
                  }

                  @Override
                  public void onFailure(IMqttToken t, Throwable e) {
                    inFlight.release();
                  }
                });
          }
        }
      }
      for (Process s : subs) {
        assertTrue(s.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "mosquitto_sub did not get all responses");
        assertEquals(0, s.exitValue());
      }
      print(label + ", mosquitto_sub", devices, "all at once", (long) devices * perDevice,
          (long) rounds * model.length, System.nanoTime() - t0);
      requester.disconnect().waitForCompletion(5_000);
      requester.close();
    } finally {
      subs.forEach(Process::destroy);
    }
  }

  /** A mosquitto_sub that exits after {@code count} messages; returns once it is subscribed. */
  private static Process subscriber(MosquittoBroker broker, String device, int count) throws Exception {
    List<String> command = new ArrayList<>();
    if (Files.isExecutable(STDBUF)) {
      command.addAll(List.of(STDBUF.toString(), "-oL")); // its debug lines, SUBACK first, unbuffered
    }
    command.addAll(List.of(MOSQUITTO_SUB.toString(), "-p", Integer.toString(broker.port()), "-h", "127.0.0.1", "-V",
        "mqttv5", "-q", "1", "-t", "fwi/v1/dev/" + device + "/ota/block", "-C", Integer.toString(count), "-N", "-d"));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    CompletableFuture<Void> subscribed = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(),
          StandardCharsets.ISO_8859_1))) {
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
          if (!subscribed.isDone() && line.contains("received SUBACK")) {
            subscribed.complete(null);
          }
        }
      } catch (IOException e) {
        // the process ended
      }
      subscribed.completeExceptionally(new IOException("mosquitto_sub for " + device + " ended before subscribing"));
    }, "mosquitto_sub-" + device);
    reader.setDaemon(true);
    reader.start();
    subscribed.get(20, TimeUnit.SECONDS);
    return p;
  }

  private static void print(String label, int devices, String how, long blocks, long bytesPerDevice, long nanos) {
    double s = nanos / 1e9;
    System.out.printf(Locale.ROOT, "%-48s %2d device(s), %-12s %,7.0f blocks/s %7.1f MB/s (%,d blocks, %.2f s)%n",
        label, devices, how + ":", blocks / s, devices * (double) bytesPerDevice / 1e6 / s, blocks, s);
  }
}
