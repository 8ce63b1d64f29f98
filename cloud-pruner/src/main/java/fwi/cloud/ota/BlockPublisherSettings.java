package fwi.cloud.ota;

import java.time.Duration;
import org.eclipse.paho.mqttv5.common.util.MqttTopicValidator;

/**
 * Settings of a {@link BlockPublisher}; {@link #builder()} starts from the defaults. Proposed
 * configuration keys in parentheses.
 *
 * @param requestFilter subscription for block requests ({@code fwi.ota.blocks.request-filter},
 *     default {@code $share/fwi-ota/fwi/v1/dev/+/ota/get}: a shared subscription, so the broker
 *     gives each request to one of the cloud instances in group {@code fwi-ota}; a plain
 *     {@code fwi/v1/dev/+/ota/get} works for a single instance or a broker without shared subscriptions)
 * @param senderId {@code Header.sender_id} of responses, the instance id ({@code fwi.ota.sender-id},
 *     default {@code cloud-pruner})
 * @param workerThreads threads reading blocks and publishing responses ({@code fwi.ota.blocks.worker-threads}, default 4)
 * @param queueCapacity requests waiting for a worker; beyond it a request is answered RATE_LIMITED
 *     at once ({@code fwi.ota.blocks.queue-capacity}, default 1024)
 * @param deviceBlocksPerSecond per-device block rate, 0 for none
 *     ({@code fwi.ota.blocks.device-blocks-per-second}, default 32)
 * @param deviceBurstBlocks per-device block burst ({@code fwi.ota.blocks.device-burst-blocks}, default 16)
 * @param deviceBytesPerSecond per-device byte rate, 0 for none ({@code fwi.ota.blocks.device-bytes-per-second}, default 0)
 * @param deviceBurstBytes per-device byte burst ({@code fwi.ota.blocks.device-burst-bytes}, default 2 MiB)
 * @param responseExpiry MQTT message expiry of responses, zero for none ({@code fwi.ota.blocks.response-expiry-s},
 *     default 60 s): a block queued for an offline device is useless once the device has timed out
 * @param publishSlotWait longest a worker waits for an in-flight slot before dropping a response
 *     (the device asks again) ({@code fwi.ota.blocks.publish-slot-wait-ms}, default 5000)
 * @param internalRetryAfterMs {@code retry_after_ms} of INTERNAL answers
 *     ({@code fwi.ota.blocks.internal-retry-after-ms}, default 2000)
 * @param overloadRetryAfterMs {@code retry_after_ms} of answers to requests that found the queue full
 *     ({@code fwi.ota.blocks.overload-retry-after-ms}, default 1000)
 */
public record BlockPublisherSettings(String requestFilter, String senderId, int workerThreads, int queueCapacity,
    double deviceBlocksPerSecond, int deviceBurstBlocks, long deviceBytesPerSecond, long deviceBurstBytes,
    Duration responseExpiry, Duration publishSlotWait, int internalRetryAfterMs, int overloadRetryAfterMs) {
  public BlockPublisherSettings {
    try {
      MqttTopicValidator.validate(requestFilter, true, true);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException("fwi.ota.blocks.request-filter must be a valid MQTT topic filter, but was '"
          + requestFilter + "'", e);
    }
    if (senderId == null || senderId.isEmpty()) {
      throw new IllegalArgumentException("fwi.ota.sender-id must not be empty, but was '" + senderId + "'");
    }
    check("fwi.ota.blocks.worker-threads", workerThreads, 1, 256);
    check("fwi.ota.blocks.queue-capacity", queueCapacity, 1, 1_000_000);
    if (!(deviceBlocksPerSecond >= 0) || Double.isInfinite(deviceBlocksPerSecond)) {
      throw new IllegalArgumentException("fwi.ota.blocks.device-blocks-per-second must be finite and at least 0, but was "
          + deviceBlocksPerSecond);
    }
    if (deviceBlocksPerSecond > 0) {
      check("fwi.ota.blocks.device-burst-blocks", deviceBurstBlocks, 1, 1_000_000);
    }
    if (deviceBytesPerSecond < 0) {
      throw new IllegalArgumentException("fwi.ota.blocks.device-bytes-per-second must be at least 0, but was "
          + deviceBytesPerSecond);
    }
    if (deviceBytesPerSecond > 0 && deviceBurstBytes < 1) {
      throw new IllegalArgumentException("fwi.ota.blocks.device-burst-bytes must be at least 1 when a byte rate is set, "
          + "but was " + deviceBurstBytes);
    }
    if (responseExpiry == null || responseExpiry.isNegative() || responseExpiry.toSeconds() > 0xffffffffL) {
      throw new IllegalArgumentException("fwi.ota.blocks.response-expiry-s must be in [0, 2^32), but was "
          + (responseExpiry == null ? null : responseExpiry.toSeconds()));
    }
    if (publishSlotWait == null || publishSlotWait.isNegative()) {
      throw new IllegalArgumentException("fwi.ota.blocks.publish-slot-wait-ms must be at least 0, but was "
          + (publishSlotWait == null ? null : publishSlotWait.toMillis()));
    }
    check("fwi.ota.blocks.internal-retry-after-ms", internalRetryAfterMs, 0, Integer.MAX_VALUE);
    check("fwi.ota.blocks.overload-retry-after-ms", overloadRetryAfterMs, 0, Integer.MAX_VALUE);
  }

  private static void check(String key, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(key + " must be in [" + min + ", " + max + "], but was " + value);
    }
  }

  /** The defaults listed above. */
  public static BlockPublisherSettings defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Starts from the defaults; {@link #build()} validates. */
  public static final class Builder {
    private String requestFilter = OtaTopics.SHARED_REQUESTS;
    private String senderId = "cloud-pruner";
    private int workerThreads = 4;
    private int queueCapacity = 1024;
    private double deviceBlocksPerSecond = 32;
    private int deviceBurstBlocks = 16;
    private long deviceBytesPerSecond;
    private long deviceBurstBytes = 2L << 20;
    private Duration responseExpiry = Duration.ofSeconds(60);
    private Duration publishSlotWait = Duration.ofSeconds(5);
    private int internalRetryAfterMs = 2000;
    private int overloadRetryAfterMs = 1000;

    private Builder() {
    }

    public Builder requestFilter(String v) {
      requestFilter = v;
      return this;
    }

    public Builder senderId(String v) {
      senderId = v;
      return this;
    }

    public Builder workerThreads(int v) {
      workerThreads = v;
      return this;
    }

    public Builder queueCapacity(int v) {
      queueCapacity = v;
      return this;
    }

    /** Per-device block rate and burst; rate 0 turns the block limit off. */
    public Builder deviceBlockRate(double perSecond, int burst) {
      deviceBlocksPerSecond = perSecond;
      deviceBurstBlocks = burst;
      return this;
    }

    /** Per-device byte rate and burst; rate 0 turns the byte limit off. */
    public Builder deviceByteRate(long perSecond, long burst) {
      deviceBytesPerSecond = perSecond;
      deviceBurstBytes = burst;
      return this;
    }

    /** No per-device limit at all. */
    public Builder unlimited() {
      deviceBlocksPerSecond = 0;
      deviceBytesPerSecond = 0;
      return this;
    }

    public Builder responseExpiry(Duration v) {
      responseExpiry = v;
      return this;
    }

    public Builder publishSlotWait(Duration v) {
      publishSlotWait = v;
      return this;
    }

    public Builder internalRetryAfterMs(int v) {
      internalRetryAfterMs = v;
      return this;
    }

    public Builder overloadRetryAfterMs(int v) {
      overloadRetryAfterMs = v;
      return this;
    }

    /** @throws IllegalArgumentException naming the configuration key and the value that is out of range */
    public BlockPublisherSettings build() {
      return new BlockPublisherSettings(requestFilter, senderId, workerThreads, queueCapacity, deviceBlocksPerSecond,
          deviceBurstBlocks, deviceBytesPerSecond, deviceBurstBytes, responseExpiry, publishSlotWait,
          internalRetryAfterMs, overloadRetryAfterMs);
    }
  }
}
