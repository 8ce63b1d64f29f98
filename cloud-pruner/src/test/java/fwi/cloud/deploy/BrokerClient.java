package fwi.cloud.deploy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import javax.net.SocketFactory;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

/**
 * An MQTT 5 client that logs in with a user name and password (plain or TLS) and reports the broker's
 * reason codes (CONNACK, SUBACK, PUBACK) instead of hiding them, recording every message it receives
 * (topic, payload as text) in arrival order. Thread-safe.
 */
final class BrokerClient implements AutoCloseable {
  /** One received message. */
  record Received(String topic, String payload, boolean retained) {
  }

  private final MqttAsyncClient client;
  private final List<Received> received = new ArrayList<>();
  private volatile boolean connectionLost;

  private BrokerClient(MqttAsyncClient client) {
    this.client = client;
  }

  /**
   * Connects with clean start.
   *
   * @throws MqttException if the broker refuses, with its CONNACK reason code as {@link MqttException#getReasonCode()}
   */
  static BrokerClient connect(String url, String clientId, String user, String password, SocketFactory sockets)
      throws MqttException {
    MqttAsyncClient c = new MqttAsyncClient(url, clientId, new MemoryPersistence());
    BrokerClient b = new BrokerClient(c);
    c.setCallback(b.new Recorder());
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setCleanStart(true);
    o.setConnectionTimeout(10);
    o.setSocketFactory(sockets);
    if (user != null) {
      o.setUserName(user);
      o.setPassword(password.getBytes(StandardCharsets.UTF_8));
    }
    try {
      c.connect(o).waitForCompletion(15_000);
    } catch (MqttException e) {
      close(c);
      throw e;
    }
    return b;
  }

  /** Subscribes at QoS 1 and returns the SUBACK reason code of each filter. */
  int[] subscribe(String... filters) throws MqttException {
    MqttSubscription[] subs = new MqttSubscription[filters.length];
    for (int i = 0; i < filters.length; i++) {
      subs[i] = new MqttSubscription(filters[i], 1);
    }
    IMqttToken t = client.subscribe(subs);
    t.waitForCompletion(10_000);
    return t.getReasonCodes();
  }

  /** Publishes at QoS 1 and returns the PUBACK reason code. */
  int publish(String topic, String payload, boolean retained) throws MqttException {
    IMqttToken t = client.publish(topic, new MqttMessage(payload.getBytes(StandardCharsets.UTF_8), 1, retained,
        new MqttProperties()));
    t.waitForCompletion(10_000);
    int[] codes = t.getReasonCodes();
    return codes == null || codes.length == 0 ? 0 : codes[0];
  }

  List<Received> received() {
    synchronized (received) {
      return List.copyOf(received);
    }
  }

  List<String> topics() {
    return received().stream().map(Received::topic).collect(Collectors.toList());
  }

  /**
   * Waits for the first message matching {@code p}.
   *
   * @throws AssertionError listing what did arrive if none does within {@code timeout}
   */
  Received await(Predicate<Received> p, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (received) {
      while (true) {
        for (Received r : received) {
          if (p.test(r)) {
            return r;
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("no matching message within " + timeout.toMillis() + " ms; received " + received);
        }
        try {
          received.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted", e);
        }
      }
    }
  }

  boolean connected() {
    return client.isConnected() && !connectionLost;
  }

  @Override
  public void close() {
    close(client);
  }

  private static void close(MqttAsyncClient c) {
    try {
      if (c.isConnected()) {
        c.disconnect(1_000).waitForCompletion(5_000);
      }
    } catch (MqttException e) {
      // closing anyway
    }
    try {
      c.close(true);
    } catch (MqttException e) {
      // closed anyway
    }
  }

  private final class Recorder implements MqttCallback {
    @Override
    public void messageArrived(String topic, MqttMessage message) {
      synchronized (received) {
        received.add(new Received(topic, new String(message.getPayload(), StandardCharsets.UTF_8), message.isRetained()));
        received.notifyAll();
      }
    }

    @Override
    public void disconnected(MqttDisconnectResponse response) {
      connectionLost = true;
    }

    @Override
    public void mqttErrorOccurred(MqttException exception) {
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
