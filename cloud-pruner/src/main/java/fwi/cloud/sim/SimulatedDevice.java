package fwi.cloud.sim;

import fwi.proto.v1.Birth;
import fwi.proto.v1.Death;
import fwi.proto.v1.DeathReason;
import fwi.proto.v1.DeviceCapabilities;
import fwi.proto.v1.Header;
import fwi.proto.v1.InferenceResult;
import fwi.proto.v1.Telemetry;
import fwi.proto.v1.VelocityEncoding;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

/**
 * One simulated device: its own Paho MQTT 5 connection (client id = device id, user name = device id
 * when it has a password), clean start, the retained Death (CONNECTION_LOST) as will, and the
 * messages an edge agent sends, QoS 1 with content type {@value #CONTENT_TYPE}. Publishes are
 * asynchronous: the scheduler's threads call {@link #publishResult()} and {@link #publishTelemetry()},
 * Paho's threads complete them and only count. Not reconnecting: a lost connection is counted and the
 * device stays silent (a load generator should show the loss, not hide it). Thread-safe.
 */
final class SimulatedDevice {
  static final String CONTENT_TYPE = "application/x-protobuf";
  private static final String AGENT_VERSION = "fleet-sim-0.1.0";

  private final DeviceLogin login;
  private final FleetSimSettings settings;
  private final SimCounters counters;
  private final ResultMaps maps;
  private final MqttAsyncClient client;
  private final AtomicLong telemetrySeq;
  private final AtomicLong resultSeq;
  private final AtomicLong resultsInWindow = new AtomicLong();
  private final long startedUnixMs = System.currentTimeMillis();
  private final Object windowLock = new Object();
  private long windowStartUnixMs = startedUnixMs;
  private volatile Semaphore inFlight = new Semaphore(1);
  private volatile int permits = 1;
  private volatile boolean up;
  private volatile boolean stopping;

  SimulatedDevice(DeviceLogin login, FleetSimSettings settings, SimCounters counters, ResultMaps maps)
      throws MqttException {
    this.login = login;
    this.settings = settings;
    this.counters = counters;
    this.maps = maps;
    this.telemetrySeq = new AtomicLong(settings.firstSequence() - 1);
    this.resultSeq = new AtomicLong(settings.firstSequence() - 1);
    this.client = new MqttAsyncClient(settings.brokerUrl(), login.deviceId(), new MemoryPersistence());
    this.client.setCallback(new Events());
  }

  String id() {
    return login.deviceId();
  }

  /**
   * Starts connecting; {@code done} runs once, on a Paho thread, with whether it worked (after the
   * Birth was handed to the client).
   */
  void connect(Consumer<Boolean> done) {
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setCleanStart(true);
    o.setSessionExpiryInterval(0L);
    o.setKeepAliveInterval(30);
    o.setConnectionTimeout(10);
    o.setAutomaticReconnect(false);
    o.setSocketFactory(settings.socketFactory());
    login.password().ifPresent(p -> {
      o.setUserName(login.deviceId());
      o.setPassword(p.getBytes(StandardCharsets.UTF_8));
    });
    Death will = Death.newBuilder().setHeader(header(settings.sessionSeq())).setSessionSeq(settings.sessionSeq())
        .setReason(DeathReason.DEATH_REASON_CONNECTION_LOST).build();
    o.setWill(SimStream.DEATH.topic(id()), message(will.toByteArray(), true));
    o.setWillMessageProperties(properties());
    try {
      client.connect(o, null, new MqttActionListener() {
        @Override
        public void onSuccess(IMqttToken token) {
          MqttProperties p = token.getResponseProperties();
          Integer brokerMax = p == null ? null : p.getReceiveMaximum();
          permits = Math.min(settings.maxInFlight(), brokerMax == null || brokerMax < 1 ? 65535 : brokerMax);
          inFlight = new Semaphore(permits);
          up = true;
          counters.connected();
          publishBirth();
          done.accept(true);
        }

        @Override
        public void onFailure(IMqttToken token, Throwable e) {
          counters.connectFailed(id() + " could not connect: " + describe(e));
          done.accept(false);
        }
      });
    } catch (MqttException e) {
      counters.connectFailed(id() + " could not connect: " + describe(e));
      done.accept(false);
    }
  }

  private void publishBirth() {
    Birth b = Birth.newBuilder().setHeader(header(settings.sessionSeq())).setSessionSeq(settings.sessionSeq())
        .setProfileName(settings.profile()).setAgentVersion(AGENT_VERSION).setAgentStartedUnixMs(startedUnixMs)
        .setCapabilities(DeviceCapabilities.newBuilder().setMaxOnnxOpset(17).setMaxOnnxIrVersion(8)
            .addExecutionProviders("CPUExecutionProvider")
            .addVelocityEncodings(VelocityEncoding.VELOCITY_ENCODING_FLOAT16)
            .addVelocityEncodings(VelocityEncoding.VELOCITY_ENCODING_FLOAT32)
            .setCpuCores(4).setCpuArch("aarch64").setOsDescription("simulated by pruner fleet-sim"))
        .build();
    publish(SimStream.BIRTH, b.toByteArray(), true);
  }

  /** One InferenceResult with the next result sequence number. */
  void publishResult() {
    if (!acquire()) {
      return;
    }
    long seq = resultSeq.incrementAndGet();
    ResultMaps.Encoded m = maps.get(seq);
    long latencyUs = latencyUs(1.0, seq);
    InferenceResult r = InferenceResult.newBuilder().setHeader(header(seq)).setInputId("sim-shot-" + seq + ".npy")
        .setInferenceLatencyUs(latencyUs).setEndToEndLatencyUs(latencyUs + latencyUs / 20)
        .setInputReceivedUnixMs(System.currentTimeMillis() - latencyUs / 1000)
        .setStats(m.stats()).setVelocityMap(m.map()).build();
    resultsInWindow.incrementAndGet();
    send(SimStream.RESULT, r.toByteArray(), false);
  }

  /** One Telemetry window ending now, with the next telemetry sequence number. */
  void publishTelemetry() {
    if (!acquire()) {
      return;
    }
    long seq = telemetrySeq.incrementAndGet();
    long now = System.currentTimeMillis();
    long start;
    synchronized (windowLock) {
      start = windowStartUnixMs;
      windowStartUnixMs = now;
    }
    long count = resultsInWindow.getAndSet(0);
    long lengthMs = Math.max(1, now - start);
    Telemetry t = Telemetry.newBuilder().setHeader(header(seq)).setWindowStartUnixMs(start)
        .setWindowLengthMs((int) Math.min(Integer.MAX_VALUE, lengthMs)).setInferenceCount(count)
        .setThroughputPerS(count * 1000.0 / lengthMs)
        .setLatencyP50Us(count == 0 ? 0 : latencyUs(1.0, seq)).setLatencyP95Us(count == 0 ? 0 : latencyUs(1.15, seq))
        .setLatencyP99Us(count == 0 ? 0 : latencyUs(1.3, seq)).setLatencyMaxUs(count == 0 ? 0 : latencyUs(1.5, seq))
        .setLatencyMeanUs(count == 0 ? 0 : latencyUs(1.03, seq))
        .setPublishBufferedCount(permits - inFlight.availablePermits())
        .setMemoryRssBytes(180L << 20).setHeapUsedBytes(60L << 20).setHeapMaxBytes(160L << 20)
        .setMemoryAvailableBytes(3L << 30).setCpuTemperatureMdegC(48_000 + (int) Math.floorMod(seq * 7919, 9000L))
        .build();
    send(SimStream.TELEMETRY, t.toByteArray(), false);
  }

  /** The configured median latency times {@code factor}, with a few per cent of jitter, µs. */
  private long latencyUs(double factor, long seq) {
    double jitter = 1 + 0.04 * (Math.floorMod(seq * 2654435761L + id().hashCode(), 1001L) / 500.0 - 1);
    return Math.max(1, Math.round(settings.latencyP50Ms() * 1000 * factor * jitter));
  }

  private boolean acquire() {
    if (!up || stopping) {
      return false;
    }
    if (!inFlight.tryAcquire()) {
      counters.skipped();
      return false;
    }
    return true;
  }

  private void publish(SimStream stream, byte[] payload, boolean retained) {
    try {
      if (!inFlight.tryAcquire(10, TimeUnit.SECONDS)) {
        counters.failed(id() + ": no PUBACKs for 10 s, " + stream.suffix() + " not sent");
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    send(stream, payload, retained);
  }

  /** Sends with an in-flight permit already taken; the completion returns it. */
  private void send(SimStream stream, byte[] payload, boolean retained) {
    long t0 = System.nanoTime();
    try {
      client.publish(stream.topic(id()), message(payload, retained), null, new MqttActionListener() {
        @Override
        public void onSuccess(IMqttToken token) {
          inFlight.release();
          int[] codes = token.getReasonCodes();
          if (codes != null && codes.length > 0 && codes[0] >= 0x80) {
            counters.refused(id() + ": broker refused " + stream.topic(id()) + " with reason 0x"
                + Integer.toHexString(codes[0]));
          } else {
            counters.acknowledged(stream, System.nanoTime() - t0);
          }
        }

        @Override
        public void onFailure(IMqttToken token, Throwable e) {
          inFlight.release();
          counters.failed(id() + ": " + stream.suffix() + " not acknowledged: " + describe(e));
        }
      });
      counters.sent(stream);
    } catch (MqttException e) {
      inFlight.release();
      if (e.getReasonCode() == MqttClientException.REASON_CODE_MAX_INFLIGHT) {
        counters.skipped(); // Paho frees its slots a little after the PUBACK; same meaning as a full window
      } else {
        counters.failed(id() + ": " + stream.suffix() + " not sent: " + describe(e));
      }
    }
  }

  /**
   * Waits up to {@code timeoutMs} for the messages in flight, publishes the Death (SHUTDOWN) and
   * disconnects normally, so the broker discards the will. Stops new results and telemetry first.
   */
  void stop(long timeoutMs) {
    stopping = true;
    if (!up) {
      close();
      return;
    }
    try {
      if (inFlight.tryAcquire(permits, timeoutMs, TimeUnit.MILLISECONDS)) {
        inFlight.release(permits);
      }
      Death d = Death.newBuilder().setHeader(header(settings.sessionSeq())).setSessionSeq(settings.sessionSeq())
          .setReason(DeathReason.DEATH_REASON_SHUTDOWN).build();
      publish(SimStream.DEATH, d.toByteArray(), true);
      if (inFlight.tryAcquire(permits, timeoutMs, TimeUnit.MILLISECONDS)) {
        inFlight.release(permits);
      }
      up = false;
      counters.disconnected(false, "");
      client.disconnect(timeoutMs).waitForCompletion(timeoutMs + 1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (MqttException e) {
      // closing anyway; the will may fire, and says CONNECTION_LOST
    } finally {
      close();
    }
  }

  private void close() {
    try {
      client.close(true);
    } catch (MqttException e) {
      // closed anyway
    }
  }

  private Header header(long sequence) {
    return Header.newBuilder().setSchemaVersion(1).setSenderId(id()).setSequence(sequence)
        .setSentUnixMs(System.currentTimeMillis()).build();
  }

  private static MqttMessage message(byte[] payload, boolean retained) {
    return new MqttMessage(payload, 1, retained, properties());
  }

  private static MqttProperties properties() {
    MqttProperties p = new MqttProperties();
    p.setContentType(CONTENT_TYPE);
    return p;
  }

  static String describe(Throwable e) {
    if (e instanceof MqttException m) {
      return m.getMessage() + " (reason " + m.getReasonCode() + ")";
    }
    return String.valueOf(e);
  }

  /** Paho's events: only the loss of the connection matters here. */
  private final class Events implements MqttCallback {
    @Override
    public void disconnected(MqttDisconnectResponse response) {
      if (up) {
        up = false;
        counters.disconnected(!stopping, id() + " lost its connection: "
            + (response.getException() == null ? "reason " + response.getReturnCode() : describe(response.getException())));
      }
    }

    @Override
    public void mqttErrorOccurred(MqttException exception) {
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
    }

    @Override
    public void deliveryComplete(IMqttToken token) {
    }

    @Override
    public void connectComplete(boolean reconnect, String serverURI) {
    }

    @Override
    public void authPacketArrived(int reasonCode, MqttProperties properties) {
    }
  }
}
