package fwi.edge.publish;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import fwi.proto.v1.Header;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

/** How the publisher's messages look on the wire: header, MQTT message, packet size. */
final class Wire {
  static final int SCHEMA_VERSION = 1;
  static final int QOS = 1;

  private Wire() {
  }

  /** The envelope of a message the device sends now. */
  static Header header(String deviceId, long sequence) {
    return Header.newBuilder().setSchemaVersion(SCHEMA_VERSION).setSenderId(deviceId)
        .setSequence(sequence).setSentUnixMs(System.currentTimeMillis()).build();
  }

  /** A QoS 1 message with content type {@value MqttPublisher#CONTENT_TYPE}. */
  static MqttMessage message(byte[] payload, boolean retained) {
    MqttProperties props = new MqttProperties();
    props.setContentType(MqttPublisher.CONTENT_TYPE);
    return new MqttMessage(payload, QOS, retained, props);
  }

  /** Fails fast if the caller built a message without the header it was given (field 1 comes first on the wire). */
  static void checkHeader(Stream stream, byte[] payload, Header expected) {
    Header actual = Header.getDefaultInstance();
    try {
      CodedInputStream in = CodedInputStream.newInstance(payload);
      int tag = in.readTag();
      if (WireFormat.getTagFieldNumber(tag) == 1
          && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        actual = Header.parseFrom(in.readBytes());
      }
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("message of stream " + stream + " cannot be read back: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (!actual.equals(expected)) {
      throw new IllegalArgumentException("message of stream " + stream + " must carry the header it was built with"
          + " (sequence " + expected.getSequence() + "), but carried sequence " + actual.getSequence()
          + " from sender '" + actual.getSenderId() + "'");
    }
  }

  /**
   * Upper bound of the size of a QoS 1 PUBLISH packet of ours: fixed header, topic, packet id,
   * properties (content type, and a topic alias Paho may add), payload.
   */
  static long publishPacketBytes(String topic, int payloadBytes) {
    int properties = 1 + 2 + MqttPublisher.CONTENT_TYPE.length() + 3;
    long remaining = 2L + topic.getBytes(StandardCharsets.UTF_8).length + 2 + 1 + properties
        + payloadBytes;
    int lengthBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4;
    return 1 + lengthBytes + remaining;
  }

  /** The exception and its causes in one line, each message once. */
  static String describe(Throwable e) {
    StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
    if (e instanceof MqttException) {
      sb.append(" (reason ").append(((MqttException) e).getReasonCode()).append(')');
    }
    int depth = 0;
    for (Throwable c = e.getCause(); c != null && depth < 5; c = c.getCause(), depth++) {
      String m = c.getMessage();
      if (m == null || !sb.toString().contains(m)) {
        sb.append(": ").append(c.getClass().getSimpleName()).append(m == null ? "" : ": " + m);
      }
    }
    return sb.toString();
  }
}
