package fwi.cloud.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A real single-node Kafka (KRaft, one process acting as broker and controller) for integration
 * tests, run from the test class path in a child JVM ({@code kafka.Kafka} with a generated
 * {@code server.properties}), listening on a free loopback port, with its log directory in a
 * temporary directory.
 *
 * <p>Why a child JVM and not {@code KafkaClusterTestKit} in the test JVM: tests of the bridge need
 * Kafka to go away and come back <em>on the same port with the same data</em>, as a real outage
 * does; the test kit binds ephemeral ports and has no restart. A child process also makes
 * {@link #kill()} a real crash (SIGKILL, log recovery on restart). Measured on the shared 2-core
 * build machine (see {@link #lastStartTime()}): first start, storage format included, 5–10 s;
 * restart after {@link #stop()} 4.5–5.5 s; after {@link #kill()} about 9 s (the controller first
 * expires the dead broker's session, 4 s here); {@link #stop()} about 1 s.
 *
 * <pre>{@code
 * try (KafkaBroker kafka = KafkaBroker.launch()) {
 *   kafka.createTopic("fwi.telemetry", 6, false);
 *   ... produce to kafka.bootstrapServers() ...
 *   kafka.stop();    // SIGTERM: controlled shutdown, data kept
 *   kafka.start();   // same port, same data
 *   try (TopicReader r = kafka.reader("fwi.telemetry")) { r.readToEnd(Duration.ofSeconds(10)); }
 * }
 * }</pre>
 *
 * The broker dies with the test JVM, also when that is killed (see {@link KafkaBrokerMain}).
 * Not thread-safe; one test thread drives it.
 */
public final class KafkaBroker implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  /**
   * Kafka clients in the test JVM warn every 50-1000 ms while a broker is down, which tests of
   * outages do on purpose; keep their network client to errors. Held here because JUL forgets
   * the level of a logger nobody references.
   */
  private static final java.util.logging.Logger QUIET_NETWORK_CLIENT = quiet("org.apache.kafka.clients.NetworkClient");
  private static KafkaBroker shared;
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  private final Path dir;
  private final int port;
  private final int controllerPort;
  private final String clusterId;
  private Process process;
  private Thread killOnExit;
  private Admin admin;
  private Duration lastStartTime = Duration.ZERO;

  private KafkaBroker(Path dir, int port, int controllerPort) {
    this.dir = dir;
    this.port = port;
    this.controllerPort = controllerPort;
    this.clusterId = Uuid.randomUuid().toString();
  }

  /**
   * Formats a fresh log directory, starts the broker on free loopback ports and waits until it
   * answers admin requests.
   *
   * @param extraServerProperties further {@code server.properties} lines ({@code key=value}),
   *     appended after the generated ones, so they win
   * @throws IllegalStateException naming the log tail if the broker exits or is not ready within 60 s
   */
  public static KafkaBroker launch(String... extraServerProperties) throws IOException {
    Path dir = Files.createTempDirectory("kafka-test-");
    KafkaBroker broker = new KafkaBroker(dir, freePort(), freePort());
    broker.writeConfig(extraServerProperties);
    broker.start();
    return broker;
  }

  private static java.util.logging.Logger quiet(String name) {
    java.util.logging.Logger l = java.util.logging.Logger.getLogger(name);
    l.setLevel(java.util.logging.Level.SEVERE);
    return l;
  }

  /**
   * One broker for every test of this JVM that only needs <em>a</em> Kafka (saves the start-up per
   * test class), launched on first use and closed when the JVM exits. Do not stop it: tests of
   * outages {@link #launch} their own. Use distinct topics or keys per test, since data stays.
   */
  public static synchronized KafkaBroker shared() throws IOException {
    if (shared == null || !shared.running()) {
      KafkaBroker b = launch();
      Runtime.getRuntime().addShutdownHook(new Thread(b::close, "kafka-shared-close"));
      shared = b;
    }
    return shared;
  }

  private static int freePort() throws IOException {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    }
  }

  private Path config() {
    return dir.resolve("server.properties");
  }

  private Path logDir() {
    return dir.resolve("data");
  }

  private void writeConfig(String... extra) throws IOException {
    StringBuilder p = new StringBuilder()
        .append("# generated by fwi.cloud.testing.KafkaBroker\n")
        .append("process.roles=broker,controller\n")
        .append("node.id=1\n")
        .append("controller.quorum.voters=1@127.0.0.1:").append(controllerPort).append('\n')
        .append("listeners=PLAINTEXT://127.0.0.1:").append(port).append(",CONTROLLER://127.0.0.1:")
        .append(controllerPort).append('\n')
        .append("advertised.listeners=PLAINTEXT://127.0.0.1:").append(port).append('\n')
        .append("controller.listener.names=CONTROLLER\n")
        .append("inter.broker.listener.name=PLAINTEXT\n")
        .append("listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n")
        .append("log.dirs=").append(logDir().toAbsolutePath()).append('\n')
        .append("num.partitions=1\n")
        // Tests create the topics they use; a typo must fail rather than create a topic silently.
        .append("auto.create.topics.enable=false\n")
        .append("offsets.topic.replication.factor=1\n")
        .append("offsets.topic.num.partitions=1\n")
        .append("transaction.state.log.replication.factor=1\n")
        .append("transaction.state.log.min.isr=1\n")
        .append("share.coordinator.state.topic.replication.factor=1\n")
        .append("share.coordinator.state.topic.min.isr=1\n")
        .append("group.initial.rebalance.delay.ms=0\n")
        // After kill() the restarted broker cannot register until the controller expires its old
        // session (default 9 s); 4 s keeps a restart after a crash short, yet tolerates a loaded box.
        .append("broker.heartbeat.interval.ms=1000\n")
        .append("broker.session.timeout.ms=4000\n");
    for (String line : extra) {
      p.append(line).append('\n');
    }
    Files.writeString(config(), p.toString(), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("logging.properties"), String.join("\n",
        "logger.level=WARN",
        "loggers=kafka.server.KafkaRaftServer,kafka.server.BrokerServer",
        "logger.kafka.server.KafkaRaftServer.level=INFO",
        "logger.kafka.server.BrokerServer.level=INFO",
        "logger.handlers=CONSOLE",
        "handler.CONSOLE=org.jboss.logmanager.handlers.ConsoleHandler",
        "handler.CONSOLE.properties=autoFlush,target",
        "handler.CONSOLE.autoFlush=true",
        "handler.CONSOLE.target=SYSTEM_ERR",
        "handler.CONSOLE.formatter=PATTERN",
        "formatter.PATTERN=org.jboss.logmanager.formatters.PatternFormatter",
        "formatter.PATTERN.properties=pattern",
        "formatter.PATTERN.pattern=%d{yyyy-MM-dd'T'HH:mm:ss.SSS} %-5p [%c] %s%e%n",
        ""), StandardCharsets.UTF_8);
  }

  /**
   * (Re)starts the broker on the same ports with the same log directory, and waits until it
   * answers admin requests; the time this took is {@link #lastStartTime()}.
   *
   * @throws IllegalStateException if it is running already, or exits or is not ready within 60 s
   */
  public void start() throws IOException {
    if (running()) {
      throw new IllegalStateException("kafka on port " + port + " is running already");
    }
    long t0 = System.nanoTime();
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> cmd = new ArrayList<>(List.of(java.toString(),
        "-Xms256m", "-Xmx1g", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
        "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
        "-Dlogging.configuration=" + dir.resolve("logging.properties").toUri(),
        "-cp", System.getProperty("java.class.path"),
        KafkaBrokerMain.class.getName(), config().toString(), clusterId, logDir().toString()));
    process = new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
        .start(); // stdin stays a pipe: KafkaBrokerMain exits when it closes
    Process p = process;
    killOnExit = new Thread(p::destroyForcibly, "kafka-" + port + "-kill-on-exit");
    Runtime.getRuntime().addShutdownHook(killOnExit);
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (true) {
      if (!p.isAlive()) {
        process = null;
        throw new IllegalStateException("kafka on port " + port + " exited with " + p.exitValue() + "; log:\n"
            + logTail());
      }
      try {
        admin().describeCluster().nodes().get(2, TimeUnit.SECONDS);
        break;
      } catch (ExecutionException | TimeoutException notYet) {
        if (System.nanoTime() > deadline) {
          p.destroyForcibly();
          process = null;
          throw new IllegalStateException("kafka did not answer on port " + port + " within "
              + READY_TIMEOUT.toSeconds() + " s; log:\n" + logTail());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for kafka", e);
      }
    }
    lastStartTime = Duration.ofNanos(System.nanoTime() - t0);
  }

  /** Stops the broker with SIGTERM (controlled shutdown, data kept) and waits for it to exit. Idempotent. */
  public void stop() {
    terminate(false);
  }

  /** Kills the broker with SIGKILL, as a crash or power loss would; the data stays for {@link #start()}. */
  public void kill() {
    terminate(true);
  }

  private void terminate(boolean forcibly) {
    if (process == null) {
      return;
    }
    Process p = process;
    process = null;
    if (forcibly) {
      p.destroyForcibly();
    } else {
      // Not Process.destroy(): that also closes the child's stdin at once, and KafkaBrokerMain
      // would halt on that end of file before Kafka's shutdown hook finished a clean shutdown.
      p.toHandle().destroy(); // SIGTERM only
    }
    try {
      if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
  }

  /** Whether the broker process is alive. */
  public boolean running() {
    return process != null && process.isAlive();
  }

  /** The broker's process, while it runs (for CPU accounting in benchmarks). */
  public Optional<ProcessHandle> processHandle() {
    return Optional.ofNullable(process).map(Process::toHandle);
  }

  /** {@code 127.0.0.1:<port>}, the value of {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** How long the last {@link #start()} took, from launching the JVM to the first admin answer. */
  public Duration lastStartTime() {
    return lastStartTime;
  }

  /**
   * An admin client of this broker, created once and closed with it; it reconnects by itself
   * across {@link #stop()} and {@link #start()}.
   */
  public Admin admin() {
    if (admin == null) {
      admin = Admin.create(Map.of(
          AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
          AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
          AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000,
          AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200,
          AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 200));
    }
    return admin;
  }

  /**
   * Creates a topic with replication factor 1 and waits for it; a topic that exists already is
   * left as it is.
   *
   * @param compacted {@code cleanup.policy=compact} instead of delete
   */
  public void createTopic(String name, int partitions, boolean compacted) {
    createTopic(name, partitions, compacted ? Map.of("cleanup.policy", "compact") : Map.of());
  }

  /** Creates a topic with replication factor 1 and the given topic configs; an existing topic is left as it is. */
  public void createTopic(String name, int partitions, Map<String, String> configs) {
    try {
      admin().createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs))).all()
          .get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause(), e.getCause());
      }
    } catch (TimeoutException e) {
      throw new IllegalStateException("topic " + name + " not created within 30 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topic " + name, e);
    }
  }

  /** A reader of every partition of {@code topic}, from the beginning; close it after use. */
  public TopicReader reader(String topic) {
    return new TopicReader(bootstrapServers(), topic);
  }

  /** The broker's output (stdout and stderr of every start). */
  public Path logFile() {
    return dir.resolve("kafka.log");
  }

  /** The last 60 lines of the log, for failure messages. */
  public String logTail() {
    try {
      List<String> lines = Files.readAllLines(logFile(), StandardCharsets.UTF_8);
      return lines.subList(Math.max(0, lines.size() - 60), lines.size()).stream().collect(Collectors.joining("\n"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Closes the admin client, stops the broker and deletes its directory (configuration, data, log). */
  @Override
  public void close() {
    if (admin != null) {
      admin.close(Duration.ofSeconds(2));
      admin = null;
    }
    stop();
    try (var walk = Files.walk(dir)) {
      for (Path f : walk.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
