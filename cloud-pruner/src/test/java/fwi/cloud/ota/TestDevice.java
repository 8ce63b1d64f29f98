package fwi.cloud.ota;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import fwi.cloud.registry.BlockLayout;
import fwi.proto.v1.BlockRequest;
import fwi.proto.v1.BlockResponse;
import fwi.proto.v1.Header;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

/**
 * A device's side of block transfer over a real broker, as the edge agent does it: requests on
 * {@code fwi/v1/dev/{id}/ota/get}, responses on {@code fwi/v1/dev/{id}/ota/block}, matched by
 * request id, several in flight.
 */
final class TestDevice implements AutoCloseable {
  final String id;
  private final MqttAsyncClient client;
  private final Map<String, CompletableFuture<BlockResponse>> pending = new ConcurrentHashMap<>();

  TestDevice(String brokerUrl, String id) throws MqttException {
    this.id = id;
    client = new MqttAsyncClient(brokerUrl, "device-" + id + "-" + System.nanoTime(), new MemoryPersistence());
    client.setCallback(new Callback());
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setCleanStart(true);
    o.setSocketFactory(new NoDelay()); // as the edge agent's connection
    client.connect(o).waitForCompletion(10_000);
    client.subscribe("fwi/v1/dev/" + id + "/ota/block", 1).waitForCompletion(10_000);
  }

  /** Sends one request; the future completes with its response. */
  CompletableFuture<BlockResponse> request(ByteString sha, int index, long offset, int length) throws MqttException {
    String requestId = UUID.randomUUID().toString();
    CompletableFuture<BlockResponse> f = new CompletableFuture<>();
    pending.put(requestId, f);
    BlockRequest r = BlockRequest.newBuilder()
        .setHeader(Header.newBuilder().setSchemaVersion(1).setSenderId(id))
        .setRequestId(requestId).setModelSha256(sha).setBlockIndex(index).setOffsetBytes(offset).setLengthBytes(length)
        .build();
    client.publish("fwi/v1/dev/" + id + "/ota/get", r.toByteArray(), 1, false);
    return f;
  }

  /** The block {@code index} of {@code layout}, asked for as a well-behaved device asks. */
  CompletableFuture<BlockResponse> request(BlockLayout layout, int index) throws MqttException {
    return request(ByteString.copyFrom(HexFormat.of().parseHex(layout.sha256Hex())), index, layout.offset(index),
        layout.length(index));
  }

  BlockResponse requestAndWait(ByteString sha, int index, long offset, int length) throws Exception {
    return request(sha, index, offset, length).get(10, TimeUnit.SECONDS);
  }

  /**
   * Downloads every block with up to {@code window} requests in flight and reassembles the file.
   *
   * @throws AssertionError if a block comes back with an error or does not come back in time
   */
  byte[] download(BlockLayout layout, int window, Duration timeout) throws Exception {
    byte[] file = new byte[(int) layout.sizeBytes()];
    Semaphore slots = new Semaphore(window);
    AtomicReference<String> failure = new AtomicReference<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    for (int i = 0; i < layout.blockCount(); i++) {
      if (!slots.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        throw new AssertionError("device " + id + ": no response freed a slot within " + timeout.toMillis()
            + " ms at block " + i);
      }
      int index = i;
      request(layout, i).whenComplete((r, e) -> {
        if (e != null) {
          failure.compareAndSet(null, "block " + index + ": " + e);
        } else if (r.getPayloadCase() != BlockResponse.PayloadCase.DATA) {
          failure.compareAndSet(null, "block " + index + ": " + r.getError());
        } else {
          r.getData().copyTo(file, (int) r.getOffsetBytes());
        }
        slots.release();
      });
      if (failure.get() != null) {
        throw new AssertionError("device " + id + ": " + failure.get());
      }
    }
    if (!slots.tryAcquire(window, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
      throw new AssertionError("device " + id + ": last responses missing after " + timeout.toMillis() + " ms");
    }
    if (failure.get() != null) {
      throw new AssertionError("device " + id + ": " + failure.get());
    }
    return file;
  }

  @Override
  public void close() {
    try {
      client.disconnect().waitForCompletion(5_000);
      client.close();
    } catch (MqttException e) {
      // test teardown
    }
  }

  /** Plain sockets with TCP_NODELAY, like the edge agent's; Paho creates unconnected sockets. */
  private static final class NoDelay extends javax.net.SocketFactory {
    @Override
    public java.net.Socket createSocket() throws java.io.IOException {
      java.net.Socket s = new java.net.Socket();
      s.setTcpNoDelay(true);
      return s;
    }

    @Override
    public java.net.Socket createSocket(String host, int port) {
      throw new UnsupportedOperationException("Paho creates unconnected sockets");
    }

    @Override
    public java.net.Socket createSocket(String host, int port, java.net.InetAddress localHost, int localPort) {
      throw new UnsupportedOperationException("Paho creates unconnected sockets");
    }

    @Override
    public java.net.Socket createSocket(java.net.InetAddress host, int port) {
      throw new UnsupportedOperationException("Paho creates unconnected sockets");
    }

    @Override
    public java.net.Socket createSocket(java.net.InetAddress address, int port, java.net.InetAddress localAddress,
        int localPort) {
      throw new UnsupportedOperationException("Paho creates unconnected sockets");
    }
  }

  private final class Callback implements MqttCallback {
    @Override
    public void messageArrived(String topic, MqttMessage message) {
      try {
        BlockResponse r = BlockResponse.parseFrom(message.getPayload());
        CompletableFuture<BlockResponse> f = pending.remove(r.getRequestId());
        if (f != null) {
          f.complete(r);
        }
      } catch (InvalidProtocolBufferException e) {
        // not a response: ignored, as a device does
      }
    }

    @Override
    public void disconnected(MqttDisconnectResponse response) {
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
