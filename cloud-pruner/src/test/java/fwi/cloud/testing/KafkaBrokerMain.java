package fwi.cloud.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Entry point of the child JVM that {@link KafkaBroker} starts, with arguments
 * {@code <server.properties> <cluster id> <log dir>}: formats the log directory with Kafka's
 * storage tool if it holds no {@code meta.properties} yet (first start), then runs
 * {@code kafka.Kafka}. It halts as soon as its standard input reaches end of file: the parent holds
 * the other end of that pipe, so the broker dies with the test JVM even when the test JVM is killed
 * and its shutdown hooks never run (no orphaned brokers holding ports).
 */
final class KafkaBrokerMain {
  /** Strong references: JUL forgets the level of a logger nobody holds. */
  private static final List<Logger> CONFIGURED = new ArrayList<>();

  private KafkaBrokerMain() {
  }

  /**
   * Kafka logs through SLF4J to the JBoss LogManager of the test class path, whose Quarkus
   * configurator buffers everything until a Quarkus app starts (never, here): replace the root
   * handlers with one that writes warnings, and the start/stop milestones, to stderr (the log file).
   */
  private static void configureLogging() {
    Logger root = Logger.getLogger("");
    for (Handler h : root.getHandlers()) {
      root.removeHandler(h);
    }
    System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tL %4$s [%3$s] %5$s%6$s%n");
    ConsoleHandler console = new ConsoleHandler(); // System.err
    console.setLevel(Level.ALL);
    console.setFormatter(new SimpleFormatter());
    root.addHandler(console);
    root.setLevel(Level.WARNING);
    CONFIGURED.add(root);
    for (String name : List.of("kafka.server.KafkaRaftServer", "kafka.server.BrokerServer", "kafka.Kafka$",
        "kafka.server.ControllerServer", "org.apache.kafka.server.BrokerLifecycleManager")) {
      Logger l = Logger.getLogger(name);
      l.setLevel(Level.INFO);
      CONFIGURED.add(l);
    }
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 3) {
      throw new IllegalArgumentException("usage: KafkaBrokerMain <server.properties> <cluster id> <log dir>");
    }
    configureLogging();
    Thread watchdog = new Thread(() -> {
      try (InputStream in = System.in) {
        while (in.read() >= 0) {
          // the parent never writes; we only wait for the pipe to close
        }
      } catch (IOException e) {
        // a broken pipe means the same as end of file
      }
      Runtime.getRuntime().halt(3);
    }, "parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    if (!Files.exists(Path.of(args[2], "meta.properties"))) {
      int rc = kafka.tools.StorageTool.execute(new String[] {"format", "-t", args[1], "-c", args[0]}, System.err);
      if (rc != 0) {
        System.err.println("kafka storage format failed with exit code " + rc);
        Runtime.getRuntime().halt(2);
      }
    }
    kafka.Kafka.main(new String[] {args[0]});
  }
}
