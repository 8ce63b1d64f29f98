package fwi.cloud.service;

import fwi.cloud.bridge.KafkaTopics;
import fwi.proto.v1.JobEvent;
import fwi.proto.v1.PruneJob;
import fwi.proto.v1.PruneJobReport;
import fwi.proto.v1.SignedManifest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * What the fleet service itself writes to Kafka: job requests and progress on {@code fwi.jobs} and
 * published manifests on the compacted {@code fwi.models}, both keyed by profile. One sender thread
 * writes the records in order, each acknowledged by all in-sync replicas before the next, and retries
 * a record until Kafka takes it, so an outage delays them and loses none. The queue holds up to
 * {@value #CAPACITY} records; beyond that (hours of outage) the oldest job <em>progress</em> report
 * is dropped first and counted — job requests, final reports and manifests are kept. Callers never
 * wait on Kafka. Thread-safe.
 */
final class KafkaOut implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(KafkaOut.class);
  static final int CAPACITY = 10_000;

  private record Out(String topic, String key, byte[] value, boolean droppable) {
  }

  private final KafkaProducer<String, byte[]> producer;
  private final BlockingDeque<Out> queue = new LinkedBlockingDeque<>();
  private final AtomicLong written = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final Thread sender;
  private volatile boolean closing;

  KafkaOut(String bootstrapServers, String clientId) {
    producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.CLIENT_ID_CONFIG, clientId,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000,
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000), new StringSerializer(), new ByteArraySerializer());
    sender = new Thread(this::run, "fwi-kafka-out");
    sender.setDaemon(true);
    sender.start();
  }

  void job(PruneJob job) {
    add(new Out(KafkaTopics.JOBS, job.getProfile().getName(),
        JobEvent.newBuilder().setSchemaVersion(1).setJob(job).build().toByteArray(), false));
  }

  void report(PruneJob job, PruneJobReport report) {
    boolean progress = switch (report.getState()) {
      case PRUNE_JOB_STATE_QUEUED, PRUNE_JOB_STATE_RUNNING -> true;
      default -> false;
    };
    add(new Out(KafkaTopics.JOBS, job.getProfile().getName(),
        JobEvent.newBuilder().setSchemaVersion(1).setReport(report).build().toByteArray(), progress));
  }

  void manifest(String profile, SignedManifest manifest) {
    add(new Out(KafkaTopics.MODELS, profile, manifest.toByteArray(), false));
  }

  /** Records Kafka acknowledged. */
  long written() {
    return written.get();
  }

  /** Progress reports dropped because the queue was full. */
  long dropped() {
    return dropped.get();
  }

  /** Records waiting for Kafka. */
  int waiting() {
    return queue.size();
  }

  private void add(Out o) {
    if (queue.size() >= CAPACITY) {
      synchronized (queue) {
        for (var it = queue.iterator(); it.hasNext() && queue.size() >= CAPACITY;) {
          if (it.next().droppable()) {
            it.remove();
            dropped.incrementAndGet();
          }
        }
      }
    }
    queue.addLast(o);
  }

  private void run() {
    long backoffMs = 500;
    while (!closing || !queue.isEmpty()) {
      Out o;
      try {
        o = queue.pollFirst(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (o == null) {
        continue;
      }
      try {
        producer.send(new ProducerRecord<>(o.topic(), o.key(), o.value())).get();
        written.incrementAndGet();
        backoffMs = 500;
      } catch (InterruptedException e) {
        queue.addFirst(o);
        return;
      } catch (ExecutionException | RuntimeException e) {
        queue.addFirst(o); // keep the order: nothing after it goes first
        if (closing) {
          LOG.warnf("closing with %d record(s) Kafka has not taken (first: %s, key %s)", queue.size(), o.topic(),
              o.key());
          return;
        }
        LOG.warnf("writing to %s (key %s) failed, retrying in %d ms: %s", o.topic(), o.key(), backoffMs,
            e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
        try {
          Thread.sleep(backoffMs);
        } catch (InterruptedException ie) {
          return;
        }
        backoffMs = Math.min(10_000, backoffMs * 2);
      }
    }
  }

  /** Gives the queue up to 5 s to drain, then stops. */
  @Override
  public void close() {
    closing = true;
    try {
      sender.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sender.interrupt();
    producer.close(Duration.ofSeconds(2));
  }
}
