package fwi.cloud.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A real edge agent ({@code edge-agent/target/quarkus-app/quarkus-run.jar}, the packaged Quarkus
 * application) running as a child JVM, for end-to-end tests of the cloud service against the very
 * agent that runs on the devices: its MQTT session (Birth, will, telemetry, results), its OTA client
 * and its HTTP API.
 *
 * <pre>{@code
 * try (EdgeAgentProcess agent = EdgeAgentProcess.builder("pi-7", broker.url())
 *     .profile("pi-3b").trustedKey("manifest-test", base64RawKey)
 *     .bootstrapModel(onnxFile, "inversionnet-pi-3b-v1", 1)
 *     .syntheticIntervalMs(200).telemetryIntervalMs(1000)
 *     .build()) {
 *   agent.start();                 // waits for GET /q/health/ready = 200
 *   agent.kill();                  // SIGKILL: the broker publishes the Death will
 *   agent.restart();               // same state directory, same HTTP port
 * }
 * }</pre>
 *
 * <p>The agent is configured only by the {@code -D} properties this harness passes: environment
 * variables starting with {@code FWI_} or {@code QUARKUS_} are removed from the child's environment,
 * so the shell a test runs in cannot change the agent under test. Its HTTP server listens on
 * 127.0.0.1 only. Its output (every start appended, each after a marker line) goes to
 * {@link #logFile()} in the state directory.
 *
 * <p>The jar must be packaged before the tests run: {@code mvn verify} packages edge-agent before
 * cloud-pruner; alone, {@code mvn -o package -pl edge-agent -DskipTests}. It is looked up as
 * {@code ../edge-agent/target/quarkus-app/quarkus-run.jar} from the working directory (the
 * cloud-pruner module under Surefire), then below the working directory (the repository root), or
 * at system property {@value #JAR_PROPERTY} if set.
 *
 * <p>The agent is killed when the test JVM exits normally (shutdown hook); a test JVM that is itself
 * killed leaves it running. Not thread-safe; one test thread drives it.
 */
public final class EdgeAgentProcess implements AutoCloseable {
  /** System property that overrides where the agent's {@code quarkus-run.jar} is. */
  public static final String JAR_PROPERTY = "fwi.edge-agent.jar";
  private static final Path JAR_IN_MODULE = Path.of("edge-agent", "target", "quarkus-app", "quarkus-run.jar");
  private static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern PROFILE = Pattern.compile("[a-z0-9-]{1,32}");
  private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern PROPERTY_KEY = Pattern.compile("[^\\s=]+");
  private static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(5);
  private static final int LOG_TAIL_LINES = 40;

  /**
   * One HTTP answer of the agent.
   *
   * @param status the HTTP status code
   * @param body the body as UTF-8 text, empty if there was none
   */
  public record HttpReply(int status, String body) {
    public HttpReply {
      Objects.requireNonNull(body, "body");
    }
  }

  private final Path jar;
  private final Path stateDir;
  private final boolean ownsStateDir;
  private final int httpPort;
  private final String deviceId;
  private final List<String> jvmOptions;
  /** Changed only between starts ({@link #setProperty}). */
  private final Map<String, String> properties;
  private final Duration readyTimeout;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private Process process;
  private Thread killOnExit;
  private int starts;
  private Duration lastStartTime = Duration.ZERO;

  private EdgeAgentProcess(Builder b, Path jar, Path stateDir, boolean ownsStateDir, int httpPort) {
    this.jar = jar;
    this.stateDir = stateDir;
    this.ownsStateDir = ownsStateDir;
    this.httpPort = httpPort;
    this.deviceId = b.deviceId;
    this.readyTimeout = b.readyTimeout;
    List<String> jvm = new ArrayList<>(List.of("-Xmx" + b.maxHeapMb + "m", "-XX:+UseSerialGC",
        "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true"));
    jvm.addAll(b.jvmOptions);
    this.jvmOptions = List.copyOf(jvm);
    Map<String, String> p = new LinkedHashMap<>();
    p.put("fwi.agent.device-id", b.deviceId);
    p.put("fwi.agent.profile", b.profile);
    b.adminToken.ifPresent(t -> p.put("fwi.agent.admin-token", t));
    p.put("fwi.mqtt.broker-url", b.mqttUrl);
    b.keepAliveS.ifPresent(k -> p.put("fwi.mqtt.keep-alive-s", Integer.toString(k)));
    p.put("fwi.ota.model-dir", stateDir.toAbsolutePath().toString());
    b.bootstrapFile.ifPresent(f -> {
      p.put("fwi.ota.bootstrap-file", f.toAbsolutePath().toString());
      p.put("fwi.ota.bootstrap-id", b.bootstrapId);
      p.put("fwi.ota.bootstrap-version", Long.toString(b.bootstrapVersion));
    });
    // Quoted: a key id may contain dots, which would otherwise split the map key.
    b.trustedKeys.forEach((id, key) -> p.put("fwi.ota.trusted-keys.\"" + id + "\"", key));
    p.put("fwi.input.synthetic-interval-ms", Long.toString(b.syntheticIntervalMs));
    p.put("fwi.report.telemetry-interval-ms", Long.toString(b.telemetryIntervalMs));
    p.put("quarkus.http.host", "127.0.0.1");
    p.put("quarkus.http.port", Integer.toString(httpPort));
    p.putAll(b.extraProperties); // last, so they win
    this.properties = new LinkedHashMap<>(p);
  }

  /**
   * A builder for an agent with device id {@code deviceId} connecting to the MQTT broker at
   * {@code mqttUrl} ({@code tcp://host:port} or {@code ssl://host:port}).
   *
   * @throws IllegalArgumentException if the device id does not match {@code [A-Za-z0-9_-]{1,64}} or
   *     the URL is not tcp:// or ssl://
   */
  public static Builder builder(String deviceId, String mqttUrl) {
    return new Builder(deviceId, mqttUrl);
  }

  /**
   * Where the agent's jar is: system property {@value #JAR_PROPERTY}, else
   * {@code ../edge-agent/target/quarkus-app/quarkus-run.jar} or
   * {@code edge-agent/target/quarkus-app/quarkus-run.jar} relative to the working directory.
   *
   * @throws IllegalStateException naming the paths looked at and the command that builds the jar
   */
  public static Path agentJar() {
    String configured = System.getProperty(JAR_PROPERTY);
    if (configured != null) {
      Path p = Path.of(configured);
      if (!Files.isRegularFile(p)) {
        throw new IllegalStateException("system property " + JAR_PROPERTY + " names the edge agent jar '" + configured
            + "', but there is no such file");
      }
      return p;
    }
    Path cwd = Path.of("").toAbsolutePath();
    List<Path> candidates = List.of(cwd.resolve("..").resolve(JAR_IN_MODULE).normalize(), cwd.resolve(JAR_IN_MODULE));
    return candidates.stream().filter(Files::isRegularFile).findFirst()
        .orElseThrow(() -> new IllegalStateException("the edge agent is not packaged: none of " + candidates
            + " exists; build it with `mvn -o package -pl edge-agent -DskipTests` (mvn verify does it before the "
            + "cloud-pruner tests)"));
  }

  private static int freePort() throws IOException {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    }
  }

  /** The command line of the agent's JVM (java, JVM options, {@code -D} properties, {@code -jar}). */
  public List<String> command() {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    properties.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> cmd.add("-D" + e.getKey() + "=" + e.getValue()));
    cmd.add("-jar");
    cmd.add(jar.toAbsolutePath().toString());
    return cmd;
  }

  /**
   * Launches the agent and waits until {@code GET /q/health/ready} answers 200 (a model is loaded
   * and the broker connected); the time this took is {@link #lastStartTime()}.
   *
   * @throws IllegalStateException if it is running already, or, with the last 40 lines of its log,
   *     if it exits or is not ready within the ready timeout (then it is killed)
   */
  public void start() throws IOException {
    if (isAlive()) {
      throw new IllegalStateException("edge agent " + deviceId + " on port " + httpPort + " is running already");
    }
    Files.createDirectories(stateDir);
    starts++;
    Files.writeString(logFile(), "---- EdgeAgentProcess: start " + starts + " of " + deviceId + " at " + Instant.now()
        + " ----\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    long t0 = System.nanoTime();
    ProcessBuilder pb = new ProcessBuilder(command())
        .directory(stateDir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
    pb.environment().keySet().removeIf(k -> k.startsWith("FWI_") || k.startsWith("QUARKUS_"));
    Process p = pb.start();
    process = p;
    killOnExit = new Thread(p::destroyForcibly, "edge-agent-" + deviceId + "-kill-on-exit");
    Runtime.getRuntime().addShutdownHook(killOnExit);
    awaitReady(p, t0);
    lastStartTime = Duration.ofNanos(System.nanoTime() - t0);
  }

  private static File nullDevice() {
    return new File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
  }

  private void awaitReady(Process p, long t0) {
    long deadline = t0 + readyTimeout.toNanos();
    HttpReply last = null;
    while (true) {
      if (!p.isAlive()) {
        forget();
        throw new IllegalStateException("edge agent " + deviceId + " exited with " + p.exitValue()
            + " before it was ready; last " + LOG_TAIL_LINES + " lines of " + logFile() + ":\n" + logTail());
      }
      try {
        last = get("/q/health/ready");
        if (last.status() == 200) {
          return;
        }
      } catch (ConnectException | HttpTimeoutException notYet) {
        // HTTP server not up yet
      } catch (IOException notYet) {
        // connection reset while the server starts
      }
      if (System.nanoTime() > deadline) {
        p.destroyForcibly();
        awaitExit(p);
        forget();
        throw new IllegalStateException("edge agent " + deviceId + " was not ready on port " + httpPort + " within "
            + readyTimeout.toSeconds() + " s (last /q/health/ready: "
            + (last == null ? "no answer" : last.status() + " " + last.body()) + "); last " + LOG_TAIL_LINES
            + " lines of " + logFile() + ":\n" + logTail());
      }
      try {
        Thread.sleep(100); // poll interval, bounded by the deadline above
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
        forget();
        throw new IllegalStateException("interrupted while waiting for edge agent " + deviceId, e);
      }
    }
  }

  /**
   * Stops the agent with SIGTERM, as systemd does: it publishes its shutdown Death, disconnects and
   * exits. Waits up to 20 s for that, then kills it. Idempotent.
   */
  public void stop() {
    terminate(false);
  }

  /**
   * Kills the agent with SIGKILL, as a crash or power loss would: its TCP connection drops and the
   * broker publishes the Death will. Waits until the process is gone; the state stays for
   * {@link #restart()}. Idempotent.
   */
  public void kill() {
    terminate(true);
  }

  private void terminate(boolean forcibly) {
    if (process == null) {
      return;
    }
    Process p = process;
    if (forcibly) {
      p.destroyForcibly();
    } else {
      p.destroy(); // SIGTERM
    }
    try {
      if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
    awaitExit(p);
    forget();
  }

  private static void awaitExit(Process p) {
    try {
      p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void forget() {
    process = null;
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
  }

  /**
   * Starts the agent again with the same state directory, HTTP port and settings, stopping it first
   * (SIGTERM) if it still runs; waits until it is ready, as {@link #start()} does.
   */
  public void restart() throws IOException {
    stop();
    start();
  }

  /**
   * Sets (a value) or removes (empty) an agent property for the next {@link #start()}, e.g. to
   * restart an agent with or without a fault-injection setting. The running process is unaffected.
   *
   * @throws IllegalArgumentException if the key is empty or contains blanks or '='
   */
  public void setProperty(String key, Optional<String> value) {
    if (key == null || !PROPERTY_KEY.matcher(key).matches()) {
      throw new IllegalArgumentException("property key must be non-empty without blanks or '=', but was '" + key
          + "'");
    }
    if (value.isPresent()) {
      properties.put(key, value.get());
    } else {
      properties.remove(key);
    }
  }

  /** Whether the agent's process is alive. */
  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** The agent's process, while it runs (for its PID, CPU time or resident memory). */
  public Optional<ProcessHandle> processHandle() {
    return Optional.ofNullable(process).map(Process::toHandle);
  }

  /**
   * Resident memory of the agent's process now ({@code VmRSS} of {@code /proc/<pid>/status}),
   * bytes; empty when it does not run or the platform has no {@code /proc}.
   */
  public OptionalLong residentBytes() {
    Optional<ProcessHandle> h = processHandle();
    if (h.isEmpty()) {
      return OptionalLong.empty();
    }
    try {
      return Files.readAllLines(Path.of("/proc", Long.toString(h.get().pid()), "status")).stream()
          .filter(l -> l.startsWith("VmRSS:"))
          .mapToLong(l -> Long.parseLong(l.substring("VmRSS:".length()).replace("kB", "").trim()) * 1024)
          .findFirst();
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** The agent's device id ({@code fwi.agent.device-id}). */
  public String deviceId() {
    return deviceId;
  }

  /** The HTTP port of the agent (the same across restarts). */
  public int httpPort() {
    return httpPort;
  }

  /** {@code http://127.0.0.1:<port>}. */
  public URI baseUri() {
    return URI.create("http://127.0.0.1:" + httpPort);
  }

  /** The model store directory ({@code fwi.ota.model-dir}), which also holds the outbox and the log. */
  public Path stateDir() {
    return stateDir;
  }

  /** How long the last {@link #start()} took, from launching the JVM to the first ready answer. */
  public Duration lastStartTime() {
    return lastStartTime;
  }

  /**
   * {@code GET <path>} on the agent, e.g. {@code /api/status}, with a 5 s timeout.
   *
   * @throws IOException if the agent does not answer (not running, connection refused, timeout)
   * @throws IllegalArgumentException if {@code path} does not start with '/'
   */
  public HttpReply get(String path) throws IOException {
    if (path == null || !path.startsWith("/")) {
      throw new IllegalArgumentException("path must start with '/', but was '" + path + "'");
    }
    HttpRequest request = HttpRequest.newBuilder(baseUri().resolve(path)).timeout(HTTP_TIMEOUT).GET().build();
    try {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new HttpReply(r.statusCode(), r.body() == null ? "" : r.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted during GET " + path + " on edge agent " + deviceId, e);
    }
  }

  /** The agent's output: stdout and stderr of every start, each after a marker line. */
  public Path logFile() {
    return stateDir.resolve("agent.log");
  }

  /** The text of {@link #logFile()}; empty before the first start. */
  public String log() {
    try {
      return Files.exists(logFile()) ? Files.readString(logFile(), StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the edge agent log " + logFile(), e);
    }
  }

  /** The last 40 lines of the log, for failure messages. */
  public String logTail() {
    try {
      List<String> lines = Files.readAllLines(logFile(), StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /**
   * Stops the agent ({@link #stop()}); deletes the state directory only if the harness created it
   * (no {@link Builder#stateDir}).
   */
  @Override
  public void close() {
    stop();
    if (ownsStateDir) {
      try (var walk = Files.walk(stateDir)) {
        for (Path f : walk.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
          Files.deleteIfExists(f);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete " + stateDir, e);
      }
    }
  }

  /**
   * Settings of an {@link EdgeAgentProcess}. Every setter checks its value and names it when it is
   * bad. Required besides the device id and broker URL: at least one {@link #trustedKey} (the agent
   * refuses to start without one).
   */
  public static final class Builder {
    private final String deviceId;
    private final String mqttUrl;
    private String profile = "pi-4b";
    private final Map<String, String> trustedKeys = new LinkedHashMap<>();
    private Optional<Path> stateDir = Optional.empty();
    private Optional<Path> bootstrapFile = Optional.empty();
    private String bootstrapId;
    private long bootstrapVersion;
    private long syntheticIntervalMs;
    private long telemetryIntervalMs = 10_000;
    private Optional<String> adminToken = Optional.empty();
    private Optional<Integer> keepAliveS = Optional.empty();
    private final Map<String, String> extraProperties = new LinkedHashMap<>();
    private final List<String> jvmOptions = new ArrayList<>();
    private int maxHeapMb = 192;
    private int httpPort;
    private Duration readyTimeout = DEFAULT_READY_TIMEOUT;

    private Builder(String deviceId, String mqttUrl) {
      if (deviceId == null || !DEVICE_ID.matcher(deviceId).matches()) {
        throw new IllegalArgumentException("device id must match " + DEVICE_ID.pattern() + ", but was '" + deviceId
            + "'");
      }
      if (mqttUrl == null || !(mqttUrl.startsWith("tcp://") || mqttUrl.startsWith("ssl://"))) {
        throw new IllegalArgumentException("MQTT URL must start with tcp:// or ssl://, but was '" + mqttUrl + "'");
      }
      this.deviceId = deviceId;
      this.mqttUrl = mqttUrl;
    }

    /** Hardware profile ({@code fwi.agent.profile}), [a-z0-9-], 1 to 32 chars; default {@code pi-4b}. */
    public Builder profile(String profile) {
      if (profile == null || !PROFILE.matcher(profile).matches()) {
        throw new IllegalArgumentException("profile must match " + PROFILE.pattern() + ", but was '" + profile + "'");
      }
      this.profile = profile;
      return this;
    }

    /**
     * Trusts manifests signed with this key ({@code fwi.ota.trusted-keys.<keyId>}); may be called
     * for several keys.
     *
     * @param base64RawKey base64 of the raw 32-byte Ed25519 public key (the last 32 bytes of its
     *     X.509 encoding)
     */
    public Builder trustedKey(String keyId, String base64RawKey) {
      if (keyId == null || !KEY_ID.matcher(keyId).matches()) {
        throw new IllegalArgumentException("trusted key id must match " + KEY_ID.pattern() + ", but was '" + keyId
            + "'");
      }
      byte[] raw;
      try {
        raw = Base64.getDecoder().decode(Objects.requireNonNull(base64RawKey, "base64RawKey"));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("trusted key '" + keyId + "' must be base64, but was '" + base64RawKey
            + "'", e);
      }
      if (raw.length != 32) {
        throw new IllegalArgumentException("trusted key '" + keyId
            + "' must be the base64 of a raw 32-byte Ed25519 public key, but decodes to " + raw.length + " bytes");
      }
      trustedKeys.put(keyId, base64RawKey);
      return this;
    }

    /**
     * The model store directory ({@code fwi.ota.model-dir}), also holding the outbox and
     * {@code agent.log}; kept on {@link EdgeAgentProcess#close()}. Default: a new temporary
     * directory, deleted on close.
     */
    public Builder stateDir(Path dir) {
      this.stateDir = Optional.of(Objects.requireNonNull(dir, "state dir"));
      return this;
    }

    /**
     * The model installed as the first active model while the store has none
     * ({@code fwi.ota.bootstrap-file}, {@code -id}, {@code -version}). Without one the agent is never
     * ready until an OTA update installs a model.
     *
     * @throws IllegalArgumentException if the file does not exist or the version is below 1
     */
    public Builder bootstrapModel(Path onnxFile, String modelId, long version) {
      if (onnxFile == null || !Files.isRegularFile(onnxFile)) {
        throw new IllegalArgumentException("bootstrap model must be an existing file, but was " + onnxFile);
      }
      if (modelId == null || modelId.isBlank()) {
        throw new IllegalArgumentException("bootstrap model id must not be blank, but was '" + modelId + "'");
      }
      if (version < 1) {
        throw new IllegalArgumentException("bootstrap model version must be at least 1, but was " + version);
      }
      this.bootstrapFile = Optional.of(onnxFile);
      this.bootstrapId = modelId;
      this.bootstrapVersion = version;
      return this;
    }

    /** Period of the synthetic gather source, ms ({@code fwi.input.synthetic-interval-ms}); 0 (default) is off. */
    public Builder syntheticIntervalMs(long ms) {
      if (ms < 0) {
        throw new IllegalArgumentException("synthetic interval must be at least 0 ms, but was " + ms);
      }
      this.syntheticIntervalMs = ms;
      return this;
    }

    /** Length of a telemetry window, ms ({@code fwi.report.telemetry-interval-ms}); default 10000. */
    public Builder telemetryIntervalMs(long ms) {
      if (ms < 1) {
        throw new IllegalArgumentException("telemetry interval must be at least 1 ms, but was " + ms);
      }
      this.telemetryIntervalMs = ms;
      return this;
    }

    /** Token for the agent's mutating HTTP calls ({@code fwi.agent.admin-token}); default unset (disabled). */
    public Builder adminToken(String token) {
      if (token == null || token.isBlank()) {
        throw new IllegalArgumentException("admin token must not be blank, but was '" + token + "'");
      }
      this.adminToken = Optional.of(token);
      return this;
    }

    /**
     * MQTT keep-alive, seconds ({@code fwi.mqtt.keep-alive-s}); default the agent's (30). A link that
     * dies silently gets its Death 1.5 times this later.
     */
    public Builder mqttKeepAliveS(int seconds) {
      if (seconds < 1) {
        throw new IllegalArgumentException("MQTT keep-alive must be at least 1 s, but was " + seconds);
      }
      this.keepAliveS = Optional.of(seconds);
      return this;
    }

    /** A further agent property, passed as {@code -Dkey=value}; wins over what the harness sets. */
    public Builder property(String key, String value) {
      if (key == null || !PROPERTY_KEY.matcher(key).matches()) {
        throw new IllegalArgumentException("property key must be non-empty without blanks or '=', but was '" + key
            + "'");
      }
      extraProperties.put(key, Objects.requireNonNull(value, () -> "value of property " + key));
      return this;
    }

    /** Further agent properties ({@link #property} for each). */
    public Builder properties(Map<String, String> props) {
      props.forEach(this::property);
      return this;
    }

    /** Maximum heap of the agent's JVM, MiB; default 192 (a Pi's agent runs in 160). */
    public Builder maxHeapMb(int mb) {
      if (mb < 32) {
        throw new IllegalArgumentException("max heap must be at least 32 MiB, but was " + mb);
      }
      this.maxHeapMb = mb;
      return this;
    }

    /**
     * A further JVM option, after the defaults ({@code -Xmx<maxHeapMb>m -XX:+UseSerialGC
     * -XX:+ExitOnOutOfMemoryError}), e.g. {@code -XX:TieredStopAtLevel=1}.
     */
    public Builder jvmOption(String option) {
      if (option == null || !option.startsWith("-")) {
        throw new IllegalArgumentException("JVM option must start with '-', but was '" + option + "'");
      }
      jvmOptions.add(option);
      return this;
    }

    /** HTTP port ({@code quarkus.http.port}); default a free loopback port chosen by {@link #build()}. */
    public Builder httpPort(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("HTTP port must be in [1, 65535], but was " + port);
      }
      this.httpPort = port;
      return this;
    }

    /** How long {@link EdgeAgentProcess#start()} waits for readiness; default 60 s. */
    public Builder readyTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("ready timeout must be positive, but was " + timeout);
      }
      this.readyTimeout = timeout;
      return this;
    }

    /**
     * The agent, not started yet.
     *
     * @throws IllegalStateException if no trusted key was given or the agent's jar is not packaged
     */
    public EdgeAgentProcess build() throws IOException {
      if (trustedKeys.isEmpty()) {
        throw new IllegalStateException("edge agent " + deviceId
            + " needs at least one trusted key (trustedKey(id, base64)): without one it refuses to start");
      }
      Path jar = agentJar();
      Path dir = stateDir.isPresent() ? stateDir.get() : Files.createTempDirectory("edge-agent-" + deviceId + "-");
      return new EdgeAgentProcess(this, jar, dir, stateDir.isEmpty(), httpPort == 0 ? freePort() : httpPort);
    }
  }
}
