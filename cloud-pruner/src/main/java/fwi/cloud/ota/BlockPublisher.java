package fwi.cloud.ota;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import fwi.cloud.registry.BlockLayout;
import fwi.cloud.registry.ModelRegistry;
import fwi.cloud.registry.ModelStore;
import fwi.proto.v1.BlockErrorCode;
import fwi.proto.v1.BlockRequest;
import fwi.proto.v1.BlockResponse;
import fwi.proto.v1.Header;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.jboss.logging.Logger;

/**
 * The cloud's OTA block server over MQTT 5: takes {@code BlockRequest}s from
 * {@code fwi/v1/dev/{deviceId}/ota/get} (through {@link BlockPublisherSettings#requestFilter()}, a
 * shared subscription by default, so several instances split the load) and answers each with a
 * {@code BlockResponse} on {@code fwi/v1/dev/{deviceId}/ota/block}, QoS 1, not retained: the
 * block's bytes and their SHA-256, read from the {@link ModelStore}, or a {@code BlockError}
 * (which files exist and their block size come from a {@link BlockCatalog}, normally the registry):
 * <ul>
 *   <li>RATE_LIMITED with {@code retry_after_ms} when the device exceeds its token bucket (blocks
 *       and/or bytes per second), or the work queue is full; checked first, so hammering with
 *       bad requests is limited too;
 *   <li>UNKNOWN_MODEL if {@code model_sha256} is not a file the catalog names;
 *   <li>NOT_ALLOWED if {@link BlockAccess} refuses the device;
 *   <li>OUT_OF_RANGE if {@code block_index} is not below the file's block count;
 *   <li>RANGE_MISMATCH if {@code offset_bytes} or {@code length_bytes} disagree with the index and
 *       the block size registered for the file (the signed manifest's {@code block_size_bytes});
 *   <li>INTERNAL with {@code retry_after_ms} if the block cannot be read.
 * </ul>
 * Requests are parsed on Paho's callback thread and handed to a bounded worker pool; reads and
 * publishes happen there. A request that is not a {@code BlockRequest}, or arrives on a topic
 * without a valid device id, is counted and dropped (there is nobody to answer). A response that
 * cannot be published is counted and dropped: the device asks again after its block timeout.
 *
 * <p>Thread-safe. Owns its MQTT connection and its threads; {@link #close()} ends both.
 */
public final class BlockPublisher implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(BlockPublisher.class);
  private static final int SHA256_BYTES = 32;

  /**
   * Counters since start.
   *
   * @param requests block requests taken from the broker (including malformed ones)
   * @param blocksServed responses with data handed to the broker
   * @param bytesServed data bytes in those responses
   * @param errors error responses handed to the broker, by code
   * @param overloaded requests that found the work queue full
   * @param malformed requests dropped unanswered: undecodable, or on a topic without a device id
   * @param publishFailures responses the broker did not take (not connected, no slot, refused)
   */
  public record Stats(long requests, long blocksServed, long bytesServed, Map<BlockErrorCode, Long> errors,
      long overloaded, long malformed, long publishFailures) {
    public Stats {
      errors = Map.copyOf(errors);
    }

    /** Error responses with {@code code}. */
    public long errors(BlockErrorCode code) {
      return errors.getOrDefault(code, 0L);
    }

    /** RATE_LIMITED answers (token bucket or full queue). */
    public long rateLimited() {
      return errors(BlockErrorCode.BLOCK_ERROR_CODE_RATE_LIMITED);
    }
  }

  private final BlockCatalog catalog;
  private final ModelStore store;
  private final BlockPublisherSettings settings;
  private final BlockAccess access;
  private final DeviceRateLimiter limiter;
  private final ThreadPoolExecutor workers;
  private final MqttLink link;
  private final Sequence sequence = new Sequence();
  private final LongAdder requests = new LongAdder();
  private final LongAdder blocksServed = new LongAdder();
  private final LongAdder bytesServed = new LongAdder();
  private final Map<BlockErrorCode, LongAdder> errors = new EnumMap<>(BlockErrorCode.class);
  private final LongAdder overloaded = new LongAdder();
  private final LongAdder malformed = new LongAdder();
  private final LongAdder publishFailures = new LongAdder();
  private final java.util.Set<String> readFailuresLogged = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private volatile boolean failureLogged;

  /**
   * A publisher serving the files of {@code registry}; call {@link #start()} to connect.
   *
   * @param access asked for every request that names a registered file; {@link BlockAccess#ALLOW_ALL} to allow all
   */
  public BlockPublisher(ModelRegistry registry, MqttSettings mqtt, BlockPublisherSettings settings,
      BlockAccess access) {
    this(registry.store(), registry::blockLayout, mqtt, settings, access);
  }

  /**
   * A publisher serving the files {@code catalog} names from {@code store}, for an instance that
   * does not own the registry; call {@link #start()} to connect.
   */
  public BlockPublisher(ModelStore store, BlockCatalog catalog, MqttSettings mqtt, BlockPublisherSettings settings,
      BlockAccess access) {
    this.catalog = catalog;
    this.store = store;
    this.settings = settings;
    this.access = access;
    for (BlockErrorCode c : BlockErrorCode.values()) {
      if (c != BlockErrorCode.UNRECOGNIZED) {
        errors.put(c, new LongAdder());
      }
    }
    this.limiter = new DeviceRateLimiter(settings.deviceBlocksPerSecond(), settings.deviceBurstBlocks(),
        settings.deviceBytesPerSecond(), settings.deviceBurstBytes(), System::nanoTime);
    AtomicInteger n = new AtomicInteger();
    this.workers = new ThreadPoolExecutor(settings.workerThreads(), settings.workerThreads(), 0, TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(settings.queueCapacity()), r -> {
          Thread t = new Thread(r, "fwi-ota-blocks-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.AbortPolicy());
    this.link = new MqttLink(mqtt, List.of(settings.requestFilter()), this::onRequest);
  }

  /** Starts connecting (and reconnecting) in the background; returns at once. */
  public void start() {
    link.start();
  }

  /** Waits until connected and subscribed; false if not within {@code timeout}. */
  public boolean awaitConnected(Duration timeout) throws InterruptedException {
    return link.awaitConnected(timeout.toMillis());
  }

  /** Whether connected and subscribed now. */
  public boolean connected() {
    return link.connected();
  }

  public Stats stats() {
    Map<BlockErrorCode, Long> e = new EnumMap<>(BlockErrorCode.class);
    errors.forEach((c, a) -> e.put(c, a.sum()));
    return new Stats(requests.sum(), blocksServed.sum(), bytesServed.sum(), e, overloaded.sum(), malformed.sum(),
        publishFailures.sum());
  }

  /** Disconnects and stops the workers; responses not yet handed to the broker are dropped. */
  @Override
  public void close() {
    workers.shutdownNow();
    link.close();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** On Paho's callback thread: parse, then hand off. */
  private void onRequest(String topic, MqttMessage message) {
    requests.increment();
    Optional<String> device = OtaTopics.deviceOfRequest(topic);
    if (device.isEmpty()) {
      malformed.increment();
      LOG.debugf("block request on %s ignored: not fwi/v1/dev/{deviceId}/ota/get with a valid device id", topic);
      return;
    }
    BlockRequest request;
    try {
      request = BlockRequest.parseFrom(message.getPayload());
    } catch (InvalidProtocolBufferException e) {
      malformed.increment();
      LOG.debugf("block request of %d bytes on %s is not a BlockRequest: %s", message.getPayload().length, topic,
          e.getMessage());
      return;
    }
    try {
      workers.execute(() -> serve(device.get(), request));
    } catch (RejectedExecutionException e) {
      if (workers.isShutdown()) {
        return;
      }
      overloaded.increment();
      BlockResponse.Builder r = answerTo(request);
      r.getErrorBuilder().setCode(BlockErrorCode.BLOCK_ERROR_CODE_RATE_LIMITED)
          .setDetail("the block server's queue of " + settings.queueCapacity() + " requests is full")
          .setRetryAfterMs(settings.overloadRetryAfterMs());
      send(device.get(), r, 0); // never wait on Paho's thread: no free slot, no answer
    }
  }

  /** On a worker. */
  private void serve(String device, BlockRequest q) {
    BlockResponse.Builder r = answerTo(q);
    long wait = limiter.acquire(device, Integer.toUnsignedLong(q.getLengthBytes()));
    if (wait > 0) {
      error(r, BlockErrorCode.BLOCK_ERROR_CODE_RATE_LIMITED, "device '" + device + "' exceeds its block rate "
          + describeRate() + "; retry after " + wait + " ms", (int) Math.min(Integer.MAX_VALUE, wait));
      send(device, r, settings.publishSlotWait().toMillis());
      return;
    }
    ByteString sha = q.getModelSha256();
    if (sha.size() != SHA256_BYTES) {
      error(r, BlockErrorCode.BLOCK_ERROR_CODE_UNKNOWN_MODEL, "model_sha256 must be " + SHA256_BYTES
          + " bytes, but was " + sha.size(), 0);
      send(device, r, settings.publishSlotWait().toMillis());
      return;
    }
    String hex = HexFormat.of().formatHex(sha.toByteArray());
    Optional<BlockLayout> found = catalog.layout(hex);
    long index = Integer.toUnsignedLong(q.getBlockIndex());
    if (found.isEmpty()) {
      error(r, BlockErrorCode.BLOCK_ERROR_CODE_UNKNOWN_MODEL, "no registered model has sha256 " + hex, 0);
    } else if (!access.mayDownload(device, hex)) {
      error(r, BlockErrorCode.BLOCK_ERROR_CODE_NOT_ALLOWED, "device '" + device + "' may not download model " + hex, 0);
    } else if (index >= found.get().blockCount()) {
      error(r, BlockErrorCode.BLOCK_ERROR_CODE_OUT_OF_RANGE, "block_index must be below the block count "
          + found.get().blockCount() + " of model " + hex + ", but was " + index, 0);
    } else {
      BlockLayout l = found.get();
      int i = (int) index;
      long length = Integer.toUnsignedLong(q.getLengthBytes());
      if (q.getOffsetBytes() != l.offset(i) || length != l.length(i)) {
        error(r, BlockErrorCode.BLOCK_ERROR_CODE_RANGE_MISMATCH, "block " + i + " of model " + hex + " with blocks of "
            + l.blockSizeBytes() + " bytes is offset " + l.offset(i) + ", length " + l.length(i) + ", but the request "
            + "said offset " + Long.toUnsignedString(q.getOffsetBytes()) + ", length " + length, 0);
      } else {
        try {
          byte[] data = store.read(hex, l.offset(i), l.length(i));
          r.setOffsetBytes(l.offset(i)).setData(ByteString.copyFrom(data))
              .setBlockSha256(ByteString.copyFrom(sha256(data)));
        } catch (IOException | RuntimeException e) {
          if (readFailuresLogged.add(hex)) {
            LOG.errorf("block %d of model %s cannot be read for device %s: %s (logged once per model)", i, hex, device,
                e.toString());
          }
          error(r, BlockErrorCode.BLOCK_ERROR_CODE_INTERNAL, "block " + i + " of model " + hex + " cannot be read: "
              + e.getClass().getSimpleName(), settings.internalRetryAfterMs());
        }
      }
    }
    send(device, r, settings.publishSlotWait().toMillis());
  }

  private BlockResponse.Builder answerTo(BlockRequest q) {
    return BlockResponse.newBuilder()
        .setRequestId(q.getRequestId())
        .setModelSha256(q.getModelSha256())
        .setBlockIndex(q.getBlockIndex())
        .setOffsetBytes(q.getOffsetBytes());
  }

  private static void error(BlockResponse.Builder r, BlockErrorCode code, String detail, int retryAfterMs) {
    r.getErrorBuilder().setCode(code).setDetail(detail).setRetryAfterMs(retryAfterMs);
  }

  private void send(String device, BlockResponse.Builder r, long slotWaitMs) {
    r.setHeader(Header.newBuilder().setSchemaVersion(1).setSenderId(settings.senderId()).setSequence(sequence.next())
        .setSentUnixMs(System.currentTimeMillis()));
    BlockResponse response = r.build();
    link.publish(OtaTopics.block(device), response.toByteArray(), false, settings.responseExpiry().toSeconds(),
        slotWaitMs).whenComplete((v, e) -> {
          if (e == null) {
            if (response.getPayloadCase() == BlockResponse.PayloadCase.DATA) {
              blocksServed.increment();
              bytesServed.add(response.getData().size());
            } else {
              errors.get(response.getError().getCode()).increment();
            }
            failureLogged = false;
          } else {
            publishFailures.increment();
            if (!failureLogged) {
              failureLogged = true;
              LOG.warnf("block response to %s not published: %s (logged once until a response gets through)", device,
                  e.getMessage());
            }
          }
        });
  }

  private String describeRate() {
    StringBuilder sb = new StringBuilder();
    if (settings.deviceBlocksPerSecond() > 0) {
      sb.append(settings.deviceBlocksPerSecond()).append(" blocks/s (burst ").append(settings.deviceBurstBlocks())
          .append(")");
    }
    if (settings.deviceBytesPerSecond() > 0) {
      sb.append(sb.length() > 0 ? ", " : "").append(settings.deviceBytesPerSecond()).append(" bytes/s (burst ")
          .append(settings.deviceBurstBytes()).append(")");
    }
    return sb.toString();
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "BlockPublisher[" + settings.requestFilter() + ", sender " + settings.senderId() + "]";
  }
}
