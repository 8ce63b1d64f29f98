package fwi.cloud.bridge;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The Kafka topics of the system (DESIGN.md, "Kafka topics") and their creation. Creation is
 * idempotent: a topic that exists already is left exactly as it is (its partition count and
 * configs are not checked or changed), so every instance may call {@link #ensure} at start-up.
 *
 * <pre>{@code
 * try (Admin admin = Admin.create(Map.of("bootstrap.servers", servers))) {
 *   KafkaTopics.ensure(admin, KafkaTopics.defaults(6, (short) 1), Duration.ofSeconds(30));
 * }
 * }</pre>
 */
public final class KafkaTopics {
  /** {@code Telemetry}, key = device id. */
  public static final String TELEMETRY = "fwi.telemetry";
  /** {@code InferenceResult}, key = device id. */
  public static final String RESULTS = "fwi.results";
  /** {@code DeviceEvent} (birth, death, OTA status), key = device id. */
  public static final String DEVICE_EVENTS = "fwi.device-events";
  /** Published {@code SignedManifest}s, key = profile, compacted: the latest manifest per profile stays. */
  public static final String MODELS = "fwi.models";
  /** {@code JobEvent} (prune job requests and reports), key = profile. */
  public static final String JOBS = "fwi.jobs";
  /** Anything the bridge could not forward: raw bytes, reason in a header. */
  public static final String DEAD_LETTER = "fwi.dead-letter";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,249}");

  private KafkaTopics() {
  }

  /**
   * One topic to create.
   *
   * @param partitions at least 1; keyed topics keep per-key order within a partition, so more
   *     partitions allow more consumers in parallel but cannot be reduced later
   * @param replicationFactor at least 1; 3 in production (with {@code min.insync.replicas=2},
   *     a broker setting, so {@code acks=all} survives one broker loss)
   * @param compacted {@code cleanup.policy=compact}: the last record per key is kept forever
   */
  public record Spec(String name, int partitions, short replicationFactor, boolean compacted) {
    /** @throws IllegalArgumentException naming the bad field and value */
    public Spec {
      if (name == null || !NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
        throw new IllegalArgumentException(
            "topic name must match " + NAME.pattern() + " (not . or ..), but was '" + name + "'");
      }
      if (partitions < 1) {
        throw new IllegalArgumentException("partitions of " + name + " must be at least 1, but was " + partitions);
      }
      if (replicationFactor < 1) {
        throw new IllegalArgumentException(
            "replication factor of " + name + " must be at least 1, but was " + replicationFactor);
      }
    }

    NewTopic toNewTopic() {
      NewTopic t = new NewTopic(name, partitions, replicationFactor);
      return compacted ? t.configs(Map.of("cleanup.policy", "compact")) : t;
    }
  }

  /**
   * All six topics with {@code partitions} partitions each (6 is a sensible default: room for six
   * consumers per group); {@link #MODELS} compacted, the others with the broker's delete policy.
   */
  public static List<Spec> defaults(int partitions, short replicationFactor) {
    return List.of(
        new Spec(TELEMETRY, partitions, replicationFactor, false),
        new Spec(RESULTS, partitions, replicationFactor, false),
        new Spec(DEVICE_EVENTS, partitions, replicationFactor, false),
        new Spec(MODELS, partitions, replicationFactor, true),
        new Spec(JOBS, partitions, replicationFactor, false),
        new Spec(DEAD_LETTER, partitions, replicationFactor, false));
  }

  /**
   * Creates the topics of {@code specs} that do not exist yet and waits for the controller to
   * confirm.
   *
   * @return the names of the topics this call created (empty if all existed)
   * @throws KafkaTopicsException naming the topic and the cause if creation fails, or if Kafka
   *     does not answer within {@code timeout}
   */
  public static Set<String> ensure(Admin admin, Collection<Spec> specs, Duration timeout) {
    List<NewTopic> topics = new ArrayList<>();
    for (Spec s : specs) {
      topics.add(s.toNewTopic());
    }
    CreateTopicsResult result = admin.createTopics(topics);
    long deadline = System.nanoTime() + timeout.toNanos();
    Set<String> created = new TreeSet<>();
    for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> e : result.values().entrySet()) {
      try {
        e.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        created.add(e.getKey());
      } catch (ExecutionException ex) {
        if (!(ex.getCause() instanceof TopicExistsException)) {
          throw new KafkaTopicsException("cannot create Kafka topic " + e.getKey() + ": " + ex.getCause(),
              ex.getCause());
        }
      } catch (TimeoutException ex) {
        throw new KafkaTopicsException("Kafka did not confirm topic " + e.getKey() + " within "
            + timeout.toMillis() + " ms", ex);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        throw new KafkaTopicsException("interrupted while creating Kafka topic " + e.getKey(), ex);
      }
    }
    return created;
  }

  /** Creating topics failed; retriable when Kafka was unreachable (the cause says which). */
  public static final class KafkaTopicsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    KafkaTopicsException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
