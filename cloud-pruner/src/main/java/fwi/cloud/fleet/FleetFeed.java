package fwi.cloud.fleet;

import com.google.protobuf.InvalidProtocolBufferException;
import fwi.proto.v1.DeviceEvent;
import fwi.proto.v1.Telemetry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

/**
 * Feeds {@link FleetState} from Kafka: {@code fwi.device-events} and {@code fwi.telemetry}, every
 * partition read from the beginning at each start, so a restarted service rebuilds the same state
 * from the topics (duplicates are dropped by the state itself). One thread; {@link #close()} stops it.
 * Records that do not parse are counted and skipped (the bridge dead-letters bad payloads before
 * they get here, so this only happens with a foreign producer).
 */
public final class FleetFeed implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(FleetFeed.class);
  public static final String DEVICE_EVENTS = "fwi.device-events";
  public static final String TELEMETRY = "fwi.telemetry";

  private final FleetState state;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Thread thread;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong applied = new AtomicLong();
  private final AtomicLong unreadable = new AtomicLong();
  private volatile boolean caughtUp;

  public FleetFeed(String bootstrapServers, FleetState state) {
    this.state = state;
    this.consumer = KafkaReaders.groupless(bootstrapServers, "fwi-fleet-feed", "earliest");
    this.thread = new Thread(this::loop, "fwi-fleet-feed");
    this.thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  private List<TopicPartition> partitions() {
    List<TopicPartition> tps = new ArrayList<>();
    for (String t : List.of(DEVICE_EVENTS, TELEMETRY)) {
      List<PartitionInfo> infos = consumer.partitionsFor(t, Duration.ofSeconds(30));
      if (infos != null) {
        for (PartitionInfo i : infos) {
          tps.add(new TopicPartition(t, i.partition()));
        }
      }
    }
    return tps;
  }

  private void loop() {
    try {
      List<TopicPartition> tps = List.of();
      while (running.get() && tps.isEmpty()) {
        tps = partitions();
      }
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      var end = consumer.endOffsets(tps);
      LOG.infof("fleet state: replaying %d partitions of %s and %s from the beginning", tps.size(), DEVICE_EVENTS,
          TELEMETRY);
      while (running.get()) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          apply(r);
        }
        if (!caughtUp) {
          boolean all = true;
          for (TopicPartition tp : tps) {
            all &= consumer.position(tp) >= end.get(tp);
          }
          if (all) {
            caughtUp = true;
            LOG.infof("fleet state rebuilt: %d records, %d devices", applied.get(), state.devices().size());
          }
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.errorf(e, "fleet feed stopped");
    } finally {
      consumer.close();
    }
  }

  private void apply(ConsumerRecord<String, byte[]> r) {
    try {
      if (r.topic().equals(DEVICE_EVENTS)) {
        state.apply(DeviceEvent.parseFrom(r.value()));
      } else {
        state.apply(r.key(), Telemetry.parseFrom(r.value()), r.timestamp());
      }
      applied.incrementAndGet();
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      unreadable.incrementAndGet();
      LOG.warnf("skipped unreadable record %s-%d@%d: %s", r.topic(), r.partition(), r.offset(), e.getMessage());
    }
  }

  /** True once every record that existed at start has been applied. */
  public boolean caughtUp() {
    return caughtUp;
  }

  public long applied() {
    return applied.get();
  }

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
