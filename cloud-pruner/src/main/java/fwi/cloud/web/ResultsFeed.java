package fwi.cloud.web;

import com.google.protobuf.InvalidProtocolBufferException;
import fwi.cloud.bridge.KafkaTopics;
import fwi.proto.codec.VelocityMaps;
import fwi.proto.v1.InferenceResult;
import fwi.proto.v1.VelocityMap;
import fwi.runtime.image.SeismicPictures;
import fwi.runtime.image.VelocityMapStyle;
import fwi.runtime.tensor.FloatTensor;
import fwi.runtime.tensor.Shape;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

/**
 * The latest inference result of every device, read from {@code fwi.results} (key = device id, value
 * = {@code fwi.v1.InferenceResult}), for the dashboard's velocity maps. Every partition is assigned
 * (no consumer group, nothing committed: each service instance sees every device) and read from
 * {@code lookbackRecords} before its end at start, so maps of devices that reported shortly before
 * a restart show at once. A device's results share one partition, so the last record read is its
 * latest result.
 *
 * <p>Holds one result per device (a 70 x 70 FLOAT16 map is about 10 KB) and renders its PNG on
 * first request, once per result. One consumer thread; the read methods are thread-safe.
 */
public final class ResultsFeed implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ResultsFeed.class);
  private static final Duration TOPIC_RETRY = Duration.ofSeconds(1);

  /**
   * A device's latest result without its map, as the dashboard lists it.
   *
   * @param receivedUnixMs the Kafka record's timestamp (when the bridge forwarded it)
   * @param inferenceMs the ONNX Runtime run alone, milliseconds
   * @param endToEndMs from input available to result ready, milliseconds
   * @param hasVelocityMap false when the agent sends summaries only: no picture
   * @param shape the map's dimensions as the model output them, e.g. [1, 1, 70, 70]; empty without a map
   */
  public record Latest(String deviceId, long sequence, String inputId, String modelId, long modelVersion,
      long receivedUnixMs, double inferenceMs, double endToEndMs, double minMPerS, double maxMPerS, double meanMPerS,
      boolean hasVelocityMap, List<Integer> shape) {
    static Latest of(String deviceId, InferenceResult r, long receivedUnixMs) {
      return new Latest(deviceId, r.getHeader().getSequence(), r.getInputId(), r.getModel().getModelId(),
          r.getModel().getVersion(), receivedUnixMs, r.getInferenceLatencyUs() / 1000.0,
          r.getEndToEndLatencyUs() / 1000.0, r.getStats().getMinMPerS(), r.getStats().getMaxMPerS(),
          r.getStats().getMeanMPerS(), r.hasVelocityMap(),
          r.hasVelocityMap() ? List.copyOf(r.getVelocityMap().getShapeList()) : List.of());
    }
  }

  /** A result and, once drawn, its picture. */
  private record Entry(Latest latest, Optional<VelocityMap> map, AtomicReference<byte[]> png) {
  }

  private final VelocityMapStyle style;
  private final int lookbackRecords;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Thread thread;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Map<String, Entry> latest = new ConcurrentHashMap<>();
  private final AtomicLong unreadable = new AtomicLong();

  /**
   * @param lookbackRecords how many records before each partition's end to start from; at least 0
   * @param style the velocity range and grid spacing of the pictures
   */
  public ResultsFeed(String bootstrapServers, int lookbackRecords, VelocityMapStyle style) {
    if (lookbackRecords < 0) {
      throw new IllegalArgumentException("results lookback must be at least 0 records, but was " + lookbackRecords);
    }
    this.style = style;
    this.lookbackRecords = lookbackRecords;
    this.consumer = fwi.cloud.fleet.KafkaReaders.groupless(bootstrapServers, "fwi-dashboard-results", "latest");
    this.thread = new Thread(this::loop, "fwi-dashboard-results");
    this.thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  private List<TopicPartition> partitions() {
    List<PartitionInfo> infos = consumer.partitionsFor(KafkaTopics.RESULTS, Duration.ofSeconds(30));
    List<TopicPartition> tps = new ArrayList<>();
    if (infos != null) {
      infos.forEach(i -> tps.add(new TopicPartition(i.topic(), i.partition())));
    }
    return tps;
  }

  private void loop() {
    try {
      List<TopicPartition> tps = partitions();
      while (running.get() && tps.isEmpty()) {
        Thread.sleep(TOPIC_RETRY.toMillis()); // the service creates the topic at start; wait for it
        tps = partitions();
      }
      consumer.assign(tps);
      Map<TopicPartition, Long> begin = consumer.beginningOffsets(tps);
      consumer.endOffsets(tps).forEach((tp, end) -> consumer.seek(tp, Math.max(begin.get(tp), end - lookbackRecords)));
      LOG.infof("dashboard: reading the latest results of %d partitions of %s", tps.size(), KafkaTopics.RESULTS);
      while (running.get()) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          apply(r);
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.errorf(e, "dashboard result feed stopped: velocity maps are no longer updated");
    } finally {
      consumer.close();
    }
  }

  private void apply(ConsumerRecord<String, byte[]> r) {
    if (r.key() == null || r.value() == null) {
      unreadable.incrementAndGet();
      return;
    }
    try {
      InferenceResult result = InferenceResult.parseFrom(r.value());
      latest.put(r.key(), new Entry(Latest.of(r.key(), result, r.timestamp()),
          result.hasVelocityMap() ? Optional.of(result.getVelocityMap()) : Optional.empty(), new AtomicReference<>()));
    } catch (InvalidProtocolBufferException e) {
      unreadable.incrementAndGet();
      LOG.debugf("skipped unreadable result %s-%d@%d: %s", r.topic(), r.partition(), r.offset(), e.getMessage());
    }
  }

  /** The latest result of {@code deviceId}, if it sent one since the look-back. */
  public Optional<Latest> latest(String deviceId) {
    return Optional.ofNullable(latest.get(deviceId)).map(Entry::latest);
  }

  /** The latest results of the {@code limit} devices heard from most recently, newest first. */
  public List<Latest> mostRecent(int limit) {
    return latest.values().stream().map(Entry::latest)
        .sorted(Comparator.comparingLong(Latest::receivedUnixMs).reversed().thenComparing(Latest::deviceId))
        .limit(limit).toList();
  }

  /**
   * PNG of the latest velocity map of {@code deviceId} (colour bar in m/s, axes in metres); empty if
   * the device sent no result or its latest carries no map.
   *
   * @throws IllegalArgumentException if the map cannot be decoded or drawn (bad encoding, a
   *     non-finite value), naming why
   */
  public Optional<byte[]> velocityPng(String deviceId) {
    Entry e = latest.get(deviceId);
    if (e == null || e.map().isEmpty()) {
      return Optional.empty();
    }
    byte[] png = e.png().get();
    if (png == null) {
      png = SeismicPictures.velocityMap(tensor(e.map().get()), style);
      e.png().set(png); // two requests may both draw it; both get the same picture
    }
    return Optional.of(png);
  }

  /** The map as (H, W): the last two dimensions; of a batch, the first sample. */
  static FloatTensor tensor(VelocityMap map) {
    int rank = map.getShapeCount();
    if (rank < 2) {
      throw new IllegalArgumentException("a velocity map needs at least 2 dimensions, but its shape was "
          + map.getShapeList());
    }
    int h = map.getShape(rank - 2);
    int w = map.getShape(rank - 1);
    float[] values = VelocityMaps.decode(map);
    // decode checked the data against the whole shape; a zero dimension elsewhere leaves no values,
    // so H x W must be checked against what was decoded before it sizes anything
    long hw = Integer.toUnsignedLong(h) * Integer.toUnsignedLong(w);
    if (hw == 0 || hw > values.length) {
      throw new IllegalArgumentException("a velocity map must hold at least one " + Integer.toUnsignedString(h) + " x "
          + Integer.toUnsignedString(w) + " map, but its shape " + map.getShapeList() + " holds " + values.length
          + " values");
    }
    float[] first = values.length == hw ? values : Arrays.copyOf(values, (int) hw);
    return new FloatTensor(Shape.of(h, w), first);
  }

  /** Records that were not an InferenceResult, skipped. */
  public long unreadable() {
    return unreadable.get();
  }

  @Override
  public void close() {
    running.set(false);
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
