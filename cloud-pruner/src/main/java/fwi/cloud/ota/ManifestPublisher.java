package fwi.cloud.ota;

import com.google.protobuf.InvalidProtocolBufferException;
import fwi.cloud.registry.ModelRegistry;
import fwi.proto.v1.Header;
import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.SignedManifest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes signed manifests, retained at QoS 1, where devices look for them:
 * {@code fwi/v1/profile/{profile}/manifest} for every device of a profile and
 * {@code fwi/v1/dev/{deviceId}/manifest} for one device (a canary), and clears a retained manifest
 * with an empty retained message. Each call returns once the broker acknowledged (PUBACK), so the
 * caller (a rollout) knows the manifest is retained before it moves on.
 *
 * <p>The envelope's header (sender, sequence, time) is set here; the signed body is passed through
 * byte for byte. Refuses manifests devices would reject for their topic: a body that does not parse,
 * a profile topic other than the body's profile, a device topic for a device the body's target
 * list leaves out.
 *
 * <p>Thread-safe. Owns its MQTT connection; {@link #close()} ends it.
 */
public final class ManifestPublisher implements AutoCloseable {
  private final MqttLink link;
  private final String senderId;
  private final Sequence sequence = new Sequence();

  /**
   * @param senderId {@code Header.sender_id}, the instance id, e.g. {@code cloud-pruner-0}
   */
  public ManifestPublisher(MqttSettings mqtt, String senderId) {
    if (senderId == null || senderId.isEmpty()) {
      throw new IllegalArgumentException("sender id must not be empty, but was '" + senderId + "'");
    }
    this.senderId = senderId;
    this.link = new MqttLink(mqtt, List.of(), (topic, message) -> { });
  }

  /** Starts connecting (and reconnecting) in the background; returns at once. */
  public void start() {
    link.start();
  }

  /** Waits until connected; false if not within {@code timeout}. */
  public boolean awaitConnected(Duration timeout) throws InterruptedException {
    return link.awaitConnected(timeout.toMillis());
  }

  public boolean connected() {
    return link.connected();
  }

  /**
   * Retains {@code manifest} on {@code fwi/v1/profile/{profile}/manifest}, the profile being the
   * body's {@code profile_name}.
   *
   * @return the topic
   * @throws PublishFailedException if the broker did not acknowledge within {@code timeout}
   *     (waiting for the connection included) or refused
   * @throws IllegalArgumentException if the body does not parse or names an invalid profile
   */
  public String publishToProfile(SignedManifest manifest, Duration timeout)
      throws PublishFailedException, InterruptedException {
    ManifestBody body = body(manifest);
    String topic = OtaTopics.profileManifest(checkProfile(body.getProfileName()));
    publish(topic, withHeader(manifest).toByteArray(), timeout);
    return topic;
  }

  /**
   * Retains {@code manifest} on {@code fwi/v1/dev/{deviceId}/manifest}.
   *
   * @return the topic
   * @throws IllegalArgumentException if {@code deviceId} is invalid, or the body has a target list
   *     without {@code deviceId} (the device would ignore it)
   * @throws PublishFailedException if the broker did not acknowledge within {@code timeout} or refused
   */
  public String publishToDevice(String deviceId, SignedManifest manifest, Duration timeout)
      throws PublishFailedException, InterruptedException {
    return publishToDevices(List.of(deviceId), manifest, timeout).get(0);
  }

  /**
   * Retains {@code manifest} on the manifest topic of each device, all in flight at once (a stage of
   * 50 devices costs one round trip, not 50); returns once the broker acknowledged every one.
   *
   * @return the topics, in the order of {@code deviceIds}
   * @throws IllegalArgumentException if a device id is invalid, or the body has a target list
   *     without one of them; nothing is published then
   * @throws PublishFailedException if a publish was not acknowledged within {@code timeout} or was
   *     refused (the others may have been retained: publishing again is harmless)
   */
  public List<String> publishToDevices(List<String> deviceIds, SignedManifest manifest, Duration timeout)
      throws PublishFailedException, InterruptedException {
    ManifestBody body = body(manifest);
    List<String> topics = new ArrayList<>();
    for (String deviceId : deviceIds) {
      checkDevice(deviceId);
      if (body.getTargetDeviceIdsCount() > 0 && !body.getTargetDeviceIdsList().contains(deviceId)) {
        throw new IllegalArgumentException("device '" + deviceId + "' must be among the manifest's "
            + body.getTargetDeviceIdsCount() + " target devices, but is not: " + body.getTargetDeviceIdsList());
      }
      topics.add(OtaTopics.deviceManifest(deviceId));
    }
    byte[] payload = withHeader(manifest).toByteArray();
    publishAll(topics, payload, timeout);
    return topics;
  }

  /** Removes the retained manifest of one device (an empty retained message). */
  public String clearDevice(String deviceId, Duration timeout) throws PublishFailedException, InterruptedException {
    return clearDevices(List.of(deviceId), timeout).get(0);
  }

  /** Removes the retained manifests of these devices, all in flight at once. */
  public List<String> clearDevices(List<String> deviceIds, Duration timeout)
      throws PublishFailedException, InterruptedException {
    List<String> topics = deviceIds.stream().map(d -> OtaTopics.deviceManifest(checkDevice(d))).toList();
    publishAll(topics, new byte[0], timeout);
    return topics;
  }

  /** Removes the retained manifest of a profile (an empty retained message). */
  public String clearProfile(String profile, Duration timeout) throws PublishFailedException, InterruptedException {
    String topic = OtaTopics.profileManifest(checkProfile(profile));
    publish(topic, new byte[0], timeout);
    return topic;
  }

  @Override
  public void close() {
    link.close();
  }

  private void publish(String topic, byte[] payload, Duration timeout) throws PublishFailedException,
      InterruptedException {
    publishAll(List.of(topic), payload, timeout);
  }

  /** Publishes {@code payload} retained on every topic, all in flight at once, and waits for every PUBACK. */
  private void publishAll(List<String> topics, byte[] payload, Duration timeout) throws PublishFailedException,
      InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    if (!link.awaitConnected(timeout.toMillis())) {
      throw new PublishFailedException("not connected within " + timeout.toMillis() + " ms; " + describe(topics)
          + " not published", true, null);
    }
    List<CompletableFuture<Void>> acks = new ArrayList<>();
    for (String topic : topics) {
      long leftMs = Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
      acks.add(link.publish(topic, payload, true, 0, leftMs));
    }
    for (int i = 0; i < topics.size(); i++) {
      String topic = topics.get(i);
      try {
        acks.get(i).get(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof PublishFailedException p) {
          throw p;
        }
        throw new PublishFailedException("publish on " + topic + " failed: " + e.getCause(), true, e.getCause());
      } catch (TimeoutException e) {
        throw new PublishFailedException("no PUBACK for " + topic + " within " + timeout.toMillis() + " ms", true, e);
      }
    }
  }

  private static String describe(List<String> topics) {
    return topics.size() == 1 ? topics.get(0) : topics.size() + " topics (" + topics.get(0) + ", ...)";
  }

  private SignedManifest withHeader(SignedManifest m) {
    return m.toBuilder().setHeader(Header.newBuilder().setSchemaVersion(1).setSenderId(senderId)
        .setSequence(sequence.next()).setSentUnixMs(System.currentTimeMillis())).build();
  }

  private static ManifestBody body(SignedManifest m) {
    try {
      return ManifestBody.parseFrom(m.getBody());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("manifest body of " + m.getBody().size() + " bytes must be a ManifestBody, "
          + "but is not: " + e.getMessage(), e);
    }
  }

  private static String checkProfile(String profile) {
    if (profile == null || !ModelRegistry.PROFILE_NAME.matcher(profile).matches()) {
      throw new IllegalArgumentException("profile name must match " + ModelRegistry.PROFILE_NAME.pattern()
          + ", but was '" + profile + "'");
    }
    return profile;
  }

  private static String checkDevice(String deviceId) {
    if (deviceId == null || !ModelRegistry.DEVICE_ID.matcher(deviceId).matches()) {
      throw new IllegalArgumentException("device id must match " + ModelRegistry.DEVICE_ID.pattern() + ", but was '"
          + deviceId + "'");
    }
    return deviceId;
  }

  @Override
  public String toString() {
    return "ManifestPublisher[sender " + senderId + "]";
  }
}
