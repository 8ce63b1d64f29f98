package fwi.cloud.bridge;

import com.google.protobuf.ByteString;
import fwi.proto.v1.Birth;
import fwi.proto.v1.Death;
import fwi.proto.v1.DeathReason;
import fwi.proto.v1.Header;
import fwi.proto.v1.InferenceResult;
import fwi.proto.v1.ModelRef;
import fwi.proto.v1.OtaState;
import fwi.proto.v1.OtaStatus;
import fwi.proto.v1.Telemetry;
import fwi.proto.v1.VelocityEncoding;
import fwi.proto.v1.VelocityMap;
import fwi.proto.v1.VelocityStats;
import fwi.testing.Poll;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

/**
 * A simulated edge device for bridge tests: a Paho MQTT 5 client with the device id as client id
 * that publishes well-formed protobuf messages (header with sender_id = device id and a sequence
 * number per message type) under {@code fwi/v1/dev/{deviceId}/}, QoS 1, waiting for each PUBACK.
 */
final class Device implements AutoCloseable {
  final String id;
  private final MqttAsyncClient client;

  private Device(String id, MqttAsyncClient client) {
    this.id = id;
    this.client = client;
  }

  /** Connects with clean start and no will. */
  static Device connect(String url, String id) throws MqttException {
    return connect(url, id, Optional.empty());
  }

  /** Connects with clean start and, if given, {@code will} as retained QoS 1 will on {@code .../death}. */
  static Device connect(String url, String id, Optional<Death> will) throws MqttException {
    MqttAsyncClient c = new MqttAsyncClient(url, id, new MemoryPersistence());
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setCleanStart(true);
    o.setConnectionTimeout(5);
    o.setKeepAliveInterval(30);
    will.ifPresent(d -> {
      MqttMessage m = new MqttMessage(d.toByteArray(), 1, true, new MqttProperties());
      o.setWill(topic(id, "death"), m);
    });
    c.connect(o).waitForCompletion(10_000);
    return new Device(id, c);
  }

  static String topic(String deviceId, String suffix) {
    return "fwi/v1/dev/" + deviceId + "/" + suffix;
  }

  static Header header(String senderId, long sequence) {
    return Header.newBuilder().setSchemaVersion(1).setSenderId(senderId).setSequence(sequence)
        .setSentUnixMs(System.currentTimeMillis()).build();
  }

  static Telemetry telemetry(String senderId, long sequence) {
    return Telemetry.newBuilder().setHeader(header(senderId, sequence)).setWindowStartUnixMs(1_700_000_000_000L)
        .setWindowLengthMs(10_000).setInferenceCount(42).setThroughputPerS(4.2).setLatencyP50Us(9_000 + sequence)
        .setLatencyP95Us(11_000).setLatencyP99Us(12_000).setLatencyMaxUs(15_000).setLatencyMeanUs(9_500)
        .setMemoryRssBytes(175L << 20).setCpuTemperatureMdegC(45_123)
        .setModel(ModelRef.newBuilder().setModelId("inversionnet-pi-4b-v7").setVersion(7)).build();
  }

  static InferenceResult result(String senderId, long sequence) {
    return InferenceResult.newBuilder().setHeader(header(senderId, sequence)).setInputId("shot-" + sequence + ".npy")
        .setInferenceLatencyUs(9_100).setEndToEndLatencyUs(11_000)
        .setStats(VelocityStats.newBuilder().setMinMPerS(1500).setMaxMPerS(4500).setMeanMPerS(2900))
        .setVelocityMap(VelocityMap.newBuilder().setEncoding(VelocityEncoding.VELOCITY_ENCODING_FLOAT16)
            .addShape(1).addShape(1).addShape(2).addShape(2).setData(ByteString.copyFrom(new byte[8])))
        .build();
  }

  static Birth birth(String senderId, long sessionSeq) {
    return Birth.newBuilder().setHeader(header(senderId, sessionSeq)).setSessionSeq(sessionSeq)
        .setProfileName("pi-4b").setAgentVersion("0.1.0").setAgentStartedUnixMs(1_700_000_000_000L).build();
  }

  static Death death(String senderId, long sessionSeq) {
    return Death.newBuilder().setHeader(header(senderId, sessionSeq)).setSessionSeq(sessionSeq)
        .setReason(DeathReason.DEATH_REASON_CONNECTION_LOST).build();
  }

  static OtaStatus otaStatus(String senderId, long sequence) {
    return OtaStatus.newBuilder().setHeader(header(senderId, sequence)).setState(OtaState.OTA_STATE_DOWNLOADING)
        .setReceivedBytes(65_536).setTotalBytes(5_000_000).setAttemptCount(1).build();
  }

  /** Publishes {@code payload} on {@code fwi/v1/dev/<id>/<suffix>} at QoS 1 and waits for the PUBACK. */
  void publish(String suffix, byte[] payload, boolean retained) throws MqttException {
    publishAt(topic(id, suffix), payload, retained);
  }

  /** Publishes on any topic (to test what the ACL would normally prevent). */
  void publishOn(String topic, byte[] payload) throws MqttException {
    publishAt(topic, payload, false);
  }

  private void publishAt(String topic, byte[] payload, boolean retained) throws MqttException {
    try {
      client.publish(topic, payload, 1, retained).waitForCompletion(10_000);
    } catch (MqttException e) {
      if (e.getReasonCode() != MqttClientException.REASON_CODE_MAX_INFLIGHT) {
        throw e;
      }
      // Paho completes the token on its receive thread but frees the in-flight slot later on its
      // callback thread; on a starved machine the slots can run out although every PUBACK came.
      Poll.until(() -> client.getInFlightMessageCount() == 0, Duration.ofSeconds(10),
          () -> "Paho in-flight count of " + id + " back to 0, but was " + client.getInFlightMessageCount());
      client.publish(topic, payload, 1, retained).waitForCompletion(10_000);
    }
  }

  /** Drops the TCP connection without DISCONNECT, as a crash or network loss would: the broker publishes the will. */
  void kill() throws MqttException {
    client.disconnectForcibly(0, 0, false);
    client.close(true);
  }

  @Override
  public void close() {
    try {
      if (client.isConnected()) {
        client.disconnect(1000).waitForCompletion(5000);
      }
    } catch (MqttException e) {
      // closing anyway
    }
    try {
      client.close(true);
    } catch (MqttException e) {
      // closed anyway
    }
  }
}
