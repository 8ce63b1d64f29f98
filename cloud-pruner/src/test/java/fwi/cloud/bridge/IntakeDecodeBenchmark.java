package fwi.cloud.bridge;

import java.util.Locale;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.MqttPublish;
import org.eclipse.paho.mqttv5.common.packet.MqttWireMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * CPU cost of decoding one received MQTT 5 PUBLISH, side by side in one run: Paho 1.2.5's decoder
 * (what the bridge used) against {@link WireSubscriber#decodePublish} (what it uses now), and a plain
 * copy of the payload as the floor (one copy is what a decoder that hands out its own array must
 * do). Payloads: 200 B (telemetry), 1 KB, 10 KB (an inference result with a float16 velocity map),
 * 20 KB (float32 map). Rounds alternate the decoders so a load change on the shared machine hits
 * both alike.
 *
 * <pre>
 * mvn -B -o -q test -pl cloud-pruner -Dtest=IntakeDecodeBenchmark -Dfwi.bench=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@EnabledIfSystemProperty(named = "fwi.bench", matches = "true")
class IntakeDecodeBenchmark {
  private static long sink;

  @Test
  void pahoAgainstTheBridgesOwnDecoder() throws Exception {
    System.out.println("intake decode: payload B | Paho us/msg | own us/msg | copy us/msg | Paho/own | own MB/s per core");
    for (int size : new int[] {200, 1_000, 10_000, 20_000}) {
      MqttMessage m = new MqttMessage(new byte[size]);
      m.setQos(1);
      MqttProperties props = new MqttProperties();
      props.setContentType("application/x-protobuf");
      MqttPublish p = new MqttPublish("fwi/v1/dev/field-pi4b-0001/result", m, props);
      p.setMessageId(4711);
      byte[] header = p.getHeader();
      byte[] payload = p.getPayload();
      byte[] packet = new byte[header.length + payload.length];
      System.arraycopy(header, 0, packet, 0, header.length);
      System.arraycopy(payload, 0, packet, header.length, payload.length);
      // The own decoder gets what the reader thread has after the fixed header: the body.
      int fixed = 1;
      while ((packet[fixed] & 0x80) != 0) {
        fixed++;
      }
      byte[] body = java.util.Arrays.copyOfRange(packet, fixed + 1, packet.length);
      int first = packet[0] & 0xFF;

      double paho = Double.MAX_VALUE;
      double own = Double.MAX_VALUE;
      double copy = Double.MAX_VALUE;
      for (int round = 0; round < 6; round++) {
        paho = Math.min(paho, time(() -> sink += ((MqttPublish) MqttWireMessage.createWireMessage(packet))
            .getMessage().getPayload().length));
        own = Math.min(own, time(() -> sink += WireSubscriber.decodePublish(first, body).payload().length));
        copy = Math.min(copy, time(() -> sink += body.clone().length));
      }
      System.out.printf(Locale.ROOT, "intake decode: %9d | %11.2f | %10.2f | %11.2f | %8.0fx | %.0f%n", size, paho, own,
          copy, paho / own, size / own);
    }
    System.out.println("(best of 6 rounds of >= 0.5 s each; checksum " + sink + ")");
  }

  private interface Op {
    void run() throws Exception;
  }

  /** Microseconds per call over at least 0.5 s. */
  private static double time(Op op) throws Exception {
    for (int i = 0; i < 200; i++) {
      op.run();
    }
    long n = 0;
    long t0 = System.nanoTime();
    long t;
    do {
      for (int i = 0; i < 50; i++) {
        op.run();
      }
      n += 50;
      t = System.nanoTime() - t0;
    } while (t < 500_000_000L);
    return t / 1e3 / n;
  }
}
