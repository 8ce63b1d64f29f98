package fwi.cloud.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fwi.cloud.testing.KafkaBroker;
import fwi.testing.Poll;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Fleet state from a real Kafka (KRaft): built from the topics, and rebuilt the same after a restart. */
class FleetFeedTest {
  @Test
  void rebuildsTheSameFleetStateFromTheTopicsAfterARestart() throws Exception {
    try (KafkaBroker kafka = KafkaBroker.launch()) {
      kafka.createTopic(FleetFeed.DEVICE_EVENTS, 3, false);
      kafka.createTopic(FleetFeed.TELEMETRY, 3, false);
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
          new ByteArraySerializer())) {
        for (String d : new String[] {"d1", "d2"}) {
          producer.send(new ProducerRecord<>(FleetFeed.DEVICE_EVENTS, d, FleetStateTest.birth(d, 1, 1, 1).toByteArray()));
          for (int s = 1; s <= 5; s++) {
            byte[] t = FleetStateTest.telemetry(d, s, System.currentTimeMillis(), 1, 10, 40_000 * s).toByteArray();
            producer.send(new ProducerRecord<>(FleetFeed.TELEMETRY, d, t));
            producer.send(new ProducerRecord<>(FleetFeed.TELEMETRY, d, t)); // an at-least-once duplicate
          }
        }
        producer.send(new ProducerRecord<>(FleetFeed.DEVICE_EVENTS, "d2", FleetStateTest.death("d2", 1, 1).toByteArray()));
        producer.send(new ProducerRecord<>(FleetFeed.TELEMETRY, "d1", new byte[] {1, 2, 3}));
        producer.flush();
      }
      FleetState first = new FleetState(600_000);
      try (FleetFeed feed = new FleetFeed(kafka.bootstrapServers(), first)) {
        feed.start();
        Poll.until(feed::caughtUp, Duration.ofSeconds(60), () -> "caught up");
        assertEquals(1, feed.unreadable());
      }
      assertTrue(first.device("d1").orElseThrow().online());
      assertFalse(first.device("d2").orElseThrow().online());
      assertEquals(10, first.duplicates());
      FleetState.ProfileLatency lat = first.profileLatency("pi-4b", System.currentTimeMillis()).orElseThrow();
      assertEquals(100, lat.inferences());

      FleetState second = new FleetState(600_000);
      try (FleetFeed feed = new FleetFeed(kafka.bootstrapServers(), second)) {
        feed.start();
        Poll.until(feed::caughtUp, Duration.ofSeconds(60), () -> "caught up again");
      }
      assertEquals(first.devices(), second.devices());
      assertEquals(lat.p95Ms(), second.profileLatency("pi-4b", System.currentTimeMillis()).orElseThrow().p95Ms(), 1e-9);
    }
  }
}
