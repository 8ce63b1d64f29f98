package fwi.cloud.web;

import fwi.proto.codec.VelocityMaps;
import fwi.proto.v1.Birth;
import fwi.proto.v1.Death;
import fwi.proto.v1.DeathReason;
import fwi.proto.v1.Header;
import fwi.proto.v1.InferenceResult;
import fwi.proto.v1.ModelRef;
import fwi.proto.v1.Telemetry;
import fwi.proto.v1.VelocityEncoding;
import fwi.testing.Poll;
import java.time.Duration;
import java.util.Random;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;

/**
 * An edge device as the cloud sees it, without ONNX Runtime: a Paho MQTT 5 client (client id = device
 * id) that publishes a Birth naming its profile and model, one-second telemetry windows around a
 * chosen latency, and inference results carrying a 70 x 70 layered velocity map (FLOAT16), under
 * {@code fwi/v1/dev/{id}/}, QoS 1, waiting for each PUBACK. It never installs an update. Not
 * thread-safe; one thread drives it.
 */
final class SimulatedDevice implements AutoCloseable {
  static final int SIDE = 70;
  private static final double[] LAYER_VELOCITIES = {1750, 2300, 2850, 3500, 4250};

  final String id;
  private final String profile;
  private final ModelRef model;
  private final double p95Ms;
  private final MqttAsyncClient client;
  private final Random random;
  private long telemetrySeq;
  private long resultSeq;

  private SimulatedDevice(String id, String profile, ModelRef model, double p95Ms, MqttAsyncClient client) {
    this.id = id;
    this.profile = profile;
    this.model = model;
    this.p95Ms = p95Ms;
    this.client = client;
    this.random = new Random(id.hashCode());
  }

  /** Connects with a clean start. */
  static SimulatedDevice connect(String url, String id, String profile, ModelRef model, double p95Ms)
      throws MqttException {
    MqttAsyncClient c = new MqttAsyncClient(url, id, new MemoryPersistence());
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setCleanStart(true);
    o.setConnectionTimeout(5);
    c.connect(o).waitForCompletion(10_000);
    return new SimulatedDevice(id, profile, model, p95Ms, c);
  }

  private Header header(long sequence) {
    return Header.newBuilder().setSchemaVersion(1).setSenderId(id).setSequence(sequence)
        .setSentUnixMs(System.currentTimeMillis()).build();
  }

  /** Session {@code session} starts: a retained Birth. */
  void birth(long session) throws MqttException {
    publish("birth", Birth.newBuilder().setHeader(header(session)).setSessionSeq(session).setProfileName(profile)
        .setAgentVersion("0.1.0").setAgentStartedUnixMs(System.currentTimeMillis()).setRunningModel(model).build()
        .toByteArray(), true);
  }

  /** Session {@code session} ended, as the broker's will would announce it. */
  void death(long session) throws MqttException {
    publish("death", Death.newBuilder().setHeader(header(session)).setSessionSeq(session)
        .setReason(DeathReason.DEATH_REASON_CONNECTION_LOST).build().toByteArray(), true);
  }

  /** One second of work: a telemetry window and the latest result with its velocity map. */
  void tick() throws MqttException {
    long now = System.currentTimeMillis();
    double p95 = p95Ms * (0.95 + 0.1 * random.nextDouble());
    double p50 = 0.8 * p95;
    publish("telemetry", Telemetry.newBuilder().setHeader(header(++telemetrySeq)).setWindowStartUnixMs(now - 1000)
        .setWindowLengthMs(1000).setModel(model).setInferenceCount(3).setThroughputPerS(3)
        .setLatencyP50Us(Math.round(p50 * 1000)).setLatencyP95Us(Math.round(p95 * 1000))
        .setLatencyP99Us(Math.round(p95 * 1080)).setLatencyMaxUs(Math.round(p95 * 1150))
        .setLatencyMeanUs(Math.round(p50 * 1020)).setMemoryRssBytes(180L << 20).setCpuTemperatureMdegC(52_000)
        .build().toByteArray(), false);
    float[] map = layeredModel(++resultSeq);
    publish("result", InferenceResult.newBuilder().setHeader(header(resultSeq))
        .setInputId(String.format("shot-%05d.npy", resultSeq)).setModel(model)
        .setInferenceLatencyUs(Math.round(p50 * 1000)).setEndToEndLatencyUs(Math.round(p50 * 1100))
        .setInputReceivedUnixMs(now - Math.round(p50)).setStats(VelocityMaps.stats(map))
        .setVelocityMap(VelocityMaps.encode(map, new int[] {1, 1, SIDE, SIDE}, VelocityEncoding.VELOCITY_ENCODING_FLOAT16))
        .build().toByteArray(), false);
  }

  /** Five layers whose interfaces undulate differently per device and drift with the result number, m/s. */
  private float[] layeredModel(long n) {
    float[] v = new float[SIDE * SIDE];
    double phase = (id.hashCode() & 0xff) / 40.0 + n * 0.05;
    for (int x = 0; x < SIDE; x++) {
      double u = 2 * Math.PI * x / SIDE;
      for (int z = 0; z < SIDE; z++) {
        int layer = 0;
        for (int k = 1; k < LAYER_VELOCITIES.length; k++) {
          double boundary = 13 * k + 3 * k * Math.sin(u * (1 + k % 2) + phase * k);
          if (z > boundary) {
            layer = k;
          }
        }
        v[z * SIDE + x] = (float) (LAYER_VELOCITIES[layer] + 35 * Math.sin(0.3 * z + u + phase));
      }
    }
    return v;
  }

  private void publish(String suffix, byte[] payload, boolean retained) throws MqttException {
    String topic = "fwi/v1/dev/" + id + "/" + suffix;
    try {
      client.publish(topic, payload, 1, retained).waitForCompletion(10_000);
    } catch (MqttException e) {
      if (e.getReasonCode() != MqttClientException.REASON_CODE_MAX_INFLIGHT) {
        throw e;
      }
      // Paho frees an in-flight slot on its callback thread after completing the token: on a starved
      // machine the slots can run out although every PUBACK came.
      Poll.until(() -> client.getInFlightMessageCount() == 0, Duration.ofSeconds(10),
          () -> "Paho in-flight count of " + id + " back to 0, but was " + client.getInFlightMessageCount());
      client.publish(topic, payload, 1, retained).waitForCompletion(10_000);
    }
  }

  @Override
  public void close() {
    try {
      if (client.isConnected()) {
        client.disconnect(1000).waitForCompletion(5000);
      }
      client.close(true);
    } catch (MqttException e) {
      // closing anyway
    }
  }
}
