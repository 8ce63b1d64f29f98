package fwi.edge.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import fwi.proto.v1.BlockRequest;
import fwi.proto.v1.BlockResponse;
import fwi.proto.v1.Header;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
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
 * The cloud's OTA block publisher in tests, over a real broker: answers every
 * {@code fwi/v1/dev/+/ota/get} with the requested block of a served file (by SHA-256), on
 * {@code fwi/v1/dev/{deviceId}/ota/block}. A file may be served under a digest that is not its own
 * (to test a truncated or wrong artifact), and the server can be paused after a number of answers
 * (to interrupt a download).
 */
public final class BlockServer implements AutoCloseable {
  private final MqttAsyncClient client;
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();
  private final AtomicInteger answered = new AtomicInteger();
  private volatile int answerLimit = Integer.MAX_VALUE;

  public BlockServer(String brokerUrl) throws MqttException {
    client = new MqttAsyncClient(brokerUrl, "test-block-server-" + System.nanoTime(), new MemoryPersistence());
    client.setCallback(new Callback());
    MqttConnectionOptions o = new MqttConnectionOptions();
    o.setCleanStart(true);
    client.connect(o).waitForCompletion(10_000);
    client.subscribe("fwi/v1/dev/+/ota/get", 1).waitForCompletion(10_000);
  }

  /** Serves {@code bytes} as the file with SHA-256 {@code sha256} (its own digest, or another to lie). */
  public void serve(byte[] sha256, byte[] bytes) {
    files.put(HexFormat.of().formatHex(sha256), bytes.clone());
  }

  /** Serves {@code bytes} under their own digest. */
  public void serve(byte[] bytes) {
    serve(Manifests.sha256(bytes), bytes);
  }

  /** Answers at most {@code n} more requests, then ignores requests until {@link #resume}. */
  public void pauseAfter(int n) {
    answerLimit = answered.get() + n;
  }

  public void resume() {
    answerLimit = Integer.MAX_VALUE;
  }

  /** Blocks answered so far. */
  public int answered() {
    return answered.get();
  }

  private final class Callback implements MqttCallback {
    @Override
    public void messageArrived(String topic, MqttMessage message) {
      BlockRequest r;
      try {
        r = BlockRequest.parseFrom(message.getPayload());
      } catch (InvalidProtocolBufferException e) {
        return;
      }
      if (answered.get() >= answerLimit) {
        return;
      }
      String device = topic.split("/")[3];
      byte[] file = files.get(HexFormat.of().formatHex(r.getModelSha256().toByteArray()));
      BlockResponse.Builder b = BlockResponse.newBuilder()
          .setHeader(Header.newBuilder().setSchemaVersion(1).setSenderId("test-cloud"))
          .setRequestId(r.getRequestId()).setModelSha256(r.getModelSha256()).setBlockIndex(r.getBlockIndex())
          .setOffsetBytes(r.getOffsetBytes());
      if (file == null) {
        b.getErrorBuilder().setCode(fwi.proto.v1.BlockErrorCode.BLOCK_ERROR_CODE_UNKNOWN_MODEL).setDetail("no such model");
      } else if (r.getOffsetBytes() >= file.length) {
        b.getErrorBuilder().setCode(fwi.proto.v1.BlockErrorCode.BLOCK_ERROR_CODE_OUT_OF_RANGE)
            .setDetail("offset " + r.getOffsetBytes() + " is beyond the file's " + file.length + " bytes");
      } else {
        byte[] data = Arrays.copyOfRange(file, (int) r.getOffsetBytes(),
            (int) Math.min(file.length, r.getOffsetBytes() + r.getLengthBytes()));
        b.setData(ByteString.copyFrom(data)).setBlockSha256(ByteString.copyFrom(Manifests.sha256(data)));
      }
      answered.incrementAndGet();
      try {
        client.publish("fwi/v1/dev/" + device + "/ota/block", b.build().toByteArray(), 1, false);
      } catch (MqttException e) {
        throw new IllegalStateException(e);
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

  @Override
  public void close() {
    try {
      client.disconnect().waitForCompletion(5_000);
      client.close();
    } catch (MqttException e) {
      // test teardown
    }
  }
}
