package fwi.cloud.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import fwi.cloud.sim.DeviceLogin;
import fwi.cloud.sim.FleetSimReport;
import fwi.cloud.sim.FleetSimSettings;
import fwi.cloud.sim.FleetSimulator;
import fwi.cloud.sim.SimStream;
import fwi.runtime.net.NoDelaySockets;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.net.SocketFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pruner fleet-sim}: a simulated fleet for load tests ({@link FleetSimulator}). Progress goes to
 * standard error every few seconds, the summary to standard output (text, or JSON with {@code --json}).
 * Exit status 0 if every device connected and every publish was acknowledged, 1 otherwise.
 */
@Command(name = "fleet-sim", mixinStandardHelpOptions = true,
    description = {"Simulates N edge devices for load tests: each on its own MQTT 5 connection (client id = device "
        + "id; the broker ACL lets a connection publish only for its own device, so devices are never multiplexed "
        + "over fewer connections), publishing a retained Birth, Telemetry, InferenceResults with a float16 70x70 "
        + "velocity map (~9.9 KB) and a Death as will, QoS 1, with per-stream sequence numbers.",
        "Prints achieved rate, acknowledgements and failures every few seconds (stderr) and a summary with "
            + "publish-to-PUBACK latency percentiles (stdout)."})
final class FleetSimCommand extends CliCommand {
  @Option(names = "--broker", defaultValue = "tcp://127.0.0.1:1883",
      description = "MQTT broker, tcp://host:port or ssl://host:port (default: ${DEFAULT-VALUE}).")
  String broker;

  @Option(names = "--devices", defaultValue = "10", description = "Simulated devices (default: ${DEFAULT-VALUE}).")
  int devices;

  @Option(names = "--rate-hz", defaultValue = "1",
      description = "InferenceResults per second per device, 0 for none (default: ${DEFAULT-VALUE}).")
  double rateHz;

  @Option(names = "--telemetry-interval-ms", defaultValue = "10000",
      description = "Time between a device's Telemetry messages, as the agent's fwi.report.telemetry-interval-ms "
          + "(default: ${DEFAULT-VALUE}).")
  long telemetryIntervalMs;

  @Option(names = "--duration-s", defaultValue = "60",
      description = "How long the devices publish once connected, seconds (default: ${DEFAULT-VALUE}).")
  double durationS;

  @Option(names = "--profile", defaultValue = "pi-4b",
      description = "Hardware profile the devices announce in their Birth (default: ${DEFAULT-VALUE}).")
  String profile;

  @Option(names = "--latency-ms", defaultValue = "200",
      description = "Median inference latency the devices report; p95 is 1.15x. Above the profile's SLO it makes "
          + "the planner start compression jobs (default: ${DEFAULT-VALUE}).")
  double latencyMs;

  @Option(names = "--id-prefix", defaultValue = "sim-",
      description = "Device ids are <prefix>0001, <prefix>0002, ... (default: ${DEFAULT-VALUE}); ignored with --credentials.")
  String idPrefix;

  @Option(names = "--credentials",
      description = "File of <device-id>:<password> lines (deploy/mosquitto/add-device.sh --credentials-out): the "
          + "first --devices entries are the devices, each logging in as user <device-id>. Without it the devices "
          + "connect without user name (a development broker).")
  Optional<Path> credentials;

  @Option(names = "--tls-ca-file", description = "PEM CA certificates to trust for ssl:// (default: the JVM's trust store).")
  Optional<Path> tlsCaFile;

  @Option(names = "--max-in-flight", defaultValue = "32",
      description = "Unacknowledged publishes per device at most, as the agent's fwi.mqtt.max-in-flight "
          + "(default: ${DEFAULT-VALUE}).")
  int maxInFlight;

  @Option(names = "--report-interval-s", defaultValue = "5",
      description = "Progress line every this many seconds (default: ${DEFAULT-VALUE}).")
  double reportIntervalS;

  @Option(names = "--json", description = "Print the summary as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (!(durationS >= 1) || !(reportIntervalS >= 0.1)) {
      throw new IllegalArgumentException("--duration-s must be at least 1 and --report-interval-s at least 0.1, "
          + "but were " + durationS + " and " + reportIntervalS);
    }
    List<DeviceLogin> logins;
    if (credentials.isPresent()) {
      List<DeviceLogin> all = DeviceLogin.readCredentials(credentials.get());
      if (devices < 1 || devices > all.size()) {
        throw new IllegalArgumentException("--devices must be in [1, " + all.size() + "] (the entries of "
            + credentials.get() + "), but was " + devices);
      }
      logins = all.subList(0, devices);
    } else {
      logins = DeviceLogin.numbered(idPrefix, devices);
    }
    SocketFactory sockets;
    if (broker.startsWith("ssl://")) {
      sockets = NoDelaySockets.trust(tlsCaFile, Optional.empty(), Optional.empty())
          .map(NoDelaySockets::tls).orElseGet(NoDelaySockets::tls);
    } else if (tlsCaFile.isPresent()) {
      throw new IllegalArgumentException("--tls-ca-file needs an ssl:// broker, but the broker is " + broker);
    } else {
      sockets = NoDelaySockets.plain();
    }
    long start = System.currentTimeMillis();
    FleetSimSettings settings = new FleetSimSettings(broker, logins, rateHz, Duration.ofMillis(telemetryIntervalMs),
        Duration.ofMillis(Math.round(durationS * 1000)), profile, latencyMs, maxInFlight, sockets, start * 1000 + 1,
        start);
    PrintWriter err = spec.commandLine().getErr();
    err.printf(Locale.ROOT, "fleet-sim: %d devices (%s ...) on %s, %.2f results/s and telemetry every %d ms per device, "
        + "%.0f s%n", logins.size(), logins.get(0).deviceId(), broker, rateHz, telemetryIntervalMs, durationS);
    err.flush();
    FleetSimReport total = new FleetSimulator(settings).run(Duration.ofMillis(Math.round(reportIntervalS * 1000)),
        p -> {
          err.println(progressLine(p.total().elapsedMs(), p.interval()));
          err.flush();
        });
    if (json) {
      out().println(json().writeValueAsString(toJson(total)));
    } else {
      summary(out(), total);
    }
    out().flush();
    boolean clean = total.connects() == total.devices() && total.connectFailures() == 0
        && total.connectionsLost() == 0 && total.refused() == 0 && total.failed() == 0 && total.acknowledgedTotal() == total.sentTotal();
    return clean ? 0 : 1;
  }

  static String progressLine(long atMs, FleetSimReport r) {
    return String.format(Locale.ROOT, "t=%6.1fs devices %d/%d  sent %,d (%,.1f/s)  acked %,d  refused %d  failed %d  "
        + "skipped %d  PUBACK p50 %s p99 %s", atMs / 1000.0, r.connected(), r.devices(), r.sentTotal(), r.sentPerSecond(),
        r.acknowledgedTotal(), r.refused(), r.failed(), r.skipped(),
        r.latency().map(l -> ms(l.p50Us())).orElse("-"), r.latency().map(l -> ms(l.p99Us())).orElse("-"));
  }

  private static void summary(PrintWriter out, FleetSimReport r) {
    out.printf(Locale.ROOT, "devices            %d of %d connected, %d connect failures, %d connections lost%n",
        r.connects(), r.devices(), r.connectFailures(), r.connectionsLost());
    out.printf(Locale.ROOT, "messages           %,d sent in %.1f s from first connect to last disconnect (%,.1f/s), "
        + "%,d acknowledged (%,.1f/s), %d refused, %d failed, %d skipped (in-flight window full)%n", r.sentTotal(), r.elapsedMs() / 1000.0, r.sentPerSecond(),
        r.acknowledgedTotal(), r.acknowledgedPerSecond(), r.refused(), r.failed(), r.skipped());
    for (SimStream s : SimStream.values()) {
      out.printf(Locale.ROOT, "  %-16s %,d sent, %,d acknowledged%n", s.suffix(), r.sent().get(s), r.acknowledged().get(s));
    }
    out.println(r.latency().map(l -> String.format(Locale.ROOT,
        "publish -> PUBACK   p50 %s  p95 %s  p99 %s  max %s  (%,d messages)", ms(l.p50Us()), ms(l.p95Us()),
        ms(l.p99Us()), ms(l.maxUs()), l.count())).orElse("publish -> PUBACK   no message acknowledged"));
    r.lastProblem().ifPresent(p -> out.println("last problem       " + p));
  }

  private static ObjectNode toJson(FleetSimReport r) {
    ObjectNode o = json().createObjectNode();
    o.put("devices", r.devices()).put("connects", r.connects()).put("connect_failures", r.connectFailures())
        .put("connections_lost", r.connectionsLost()).put("elapsed_ms", r.elapsedMs()).put("sent", r.sentTotal())
        .put("acknowledged", r.acknowledgedTotal()).put("refused", r.refused()).put("failed", r.failed())
        .put("skipped", r.skipped()).put("sent_per_s", r.sentPerSecond());
    ObjectNode streams = o.putObject("streams");
    for (SimStream s : SimStream.values()) {
      streams.putObject(s.suffix()).put("sent", r.sent().get(s)).put("acknowledged", r.acknowledged().get(s));
    }
    r.latency().ifPresent(l -> o.putObject("puback_latency_us").put("count", l.count()).put("p50", l.p50Us())
        .put("p95", l.p95Us()).put("p99", l.p99Us()).put("max", l.maxUs()));
    r.lastProblem().ifPresent(p -> o.put("last_problem", p));
    return o;
  }

  private static String ms(long us) {
    return String.format(Locale.ROOT, "%.2f ms", us / 1000.0);
  }
}
