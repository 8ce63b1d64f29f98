package fwi.cloud.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads one Kafka topic from the beginning, all partitions, without a consumer group (assigned
 * partitions, no commits), and keeps every record it has read, in the order it read them (per
 * partition in offset order). Tests wait on it with deadlines instead of sleeping:
 *
 * <pre>{@code
 * try (TopicReader r = kafka.reader("fwi.telemetry")) {
 *   List<TopicReader.Record> mine = r.awaitCount(rec -> rec.key().equals("dev-1"), 3, Duration.ofSeconds(10));
 * }
 * }</pre>
 *
 * Not thread-safe; one test thread uses it.
 */
public final class TopicReader implements AutoCloseable {
  /**
   * One consumed record.
   *
   * @param key the key as UTF-8 text, or empty if the record has none
   * @param headers header values by name (the last one wins if a name repeats)
   * @param timestampMs the record timestamp, milliseconds since the epoch, of type {@code timestampType}
   */
  public record Record(String topic, int partition, long offset, Optional<String> key, byte[] value,
      Map<String, byte[]> headers, long timestampMs, TimestampType timestampType) {
    /** A header value decoded as UTF-8, if present. */
    public Optional<String> header(String name) {
      return Optional.ofNullable(headers.get(name)).map(v -> new String(v, StandardCharsets.UTF_8));
    }

    /** The key, or {@code ""} if there is none. */
    public String keyOrEmpty() {
      return key.orElse("");
    }
  }

  private final String topic;
  private final KafkaConsumer<String, byte[]> consumer;
  private final List<Record> records = new ArrayList<>();
  private boolean assigned;
  private boolean retain = true;

  TopicReader(String bootstrapServers, String topic) {
    this.topic = topic;
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    c.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    this.consumer = new KafkaConsumer<>(c);
  }

  private void assign(Duration timeout) {
    if (assigned) {
      return;
    }
    List<PartitionInfo> parts = consumer.partitionsFor(topic, timeout);
    if (parts == null || parts.isEmpty()) {
      throw new AssertionError("topic " + topic + " has no partitions (does it exist?)");
    }
    List<TopicPartition> tps = parts.stream().map(p -> new TopicPartition(topic, p.partition()))
        .collect(Collectors.toList());
    consumer.assign(tps);
    consumer.seekToBeginning(tps);
    assigned = true;
  }

  /**
   * Keeps no record after {@link #poll} returned it (for long reads, e.g. a load test's hundreds of
   * thousands of 10 KB results): {@link #all}, {@link #matching} and the methods built on them then
   * see nothing.
   */
  public TopicReader forgetting() {
    retain = false;
    return this;
  }

  /** Polls once for up to {@code timeout} and returns the records that arrived in that poll. */
  public List<Record> poll(Duration timeout) {
    assign(Duration.ofSeconds(30));
    List<Record> fresh = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : consumer.poll(timeout)) {
      Map<String, byte[]> headers = new LinkedHashMap<>();
      for (Header h : r.headers()) {
        headers.put(h.key(), h.value());
      }
      fresh.add(new Record(r.topic(), r.partition(), r.offset(), Optional.ofNullable(r.key()), r.value(),
          Collections.unmodifiableMap(headers), r.timestamp(), r.timestampType()));
    }
    if (retain) {
      records.addAll(fresh);
    }
    return fresh;
  }

  /**
   * Reads until the reader has caught up with the end offsets the topic had when the call began.
   *
   * @return every record read so far, also by earlier calls
   * @throws AssertionError if it does not catch up within {@code timeout}
   */
  public List<Record> readToEnd(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    assign(timeout);
    Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment(), timeout);
    while (true) {
      boolean caughtUp = end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
      if (caughtUp) {
        return all();
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("did not read " + topic + " to its end offsets " + end + " within "
            + timeout.toMillis() + " ms; read " + records.size() + " records");
      }
      poll(Duration.ofMillis(100));
    }
  }

  /**
   * Polls until at least {@code count} of the records read so far match {@code filter}.
   *
   * @return all matching records read so far (possibly more than {@code count})
   * @throws AssertionError naming the count reached if fewer match within {@code timeout}
   */
  public List<Record> awaitCount(Predicate<Record> filter, int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<Record> matching = matching(filter);
      if (matching.size() >= count) {
        return matching;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("only " + matching.size() + " of " + count + " expected records in " + topic
            + " within " + timeout.toMillis() + " ms (" + records.size() + " records read)");
      }
      poll(Duration.ofMillis(100));
    }
  }

  /** Every record read so far. */
  public List<Record> all() {
    return List.copyOf(records);
  }

  /** The records read so far that match {@code filter}. */
  public List<Record> matching(Predicate<Record> filter) {
    return records.stream().filter(filter).collect(Collectors.toList());
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(2));
  }
}
