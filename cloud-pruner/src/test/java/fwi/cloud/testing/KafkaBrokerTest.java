package fwi.cloud.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class KafkaBrokerTest {
  private static KafkaProducer<String, byte[]> producer(KafkaBroker kafka) {
    return new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
  }

  @Test
  void keepsRecordsAndPortAcrossStopAndStartAndAfterAKill() throws Exception {
    try (KafkaBroker kafka = KafkaBroker.launch()) {
      System.out.println("kafka first start: " + kafka.lastStartTime().toMillis() + " ms");
      kafka.createTopic("t", 3, false);
      kafka.createTopic("t", 3, false); // exists: left alone
      try (KafkaProducer<String, byte[]> p = producer(kafka)) {
        p.send(new ProducerRecord<>("t", "k1", "one".getBytes(StandardCharsets.UTF_8))).get(10, TimeUnit.SECONDS);
      }
      String bootstrap = kafka.bootstrapServers();

      kafka.stop();
      assertFalse(kafka.running());
      kafka.start();
      System.out.println("kafka restart after stop: " + kafka.lastStartTime().toMillis() + " ms");
      assertEquals(bootstrap, kafka.bootstrapServers());
      try (KafkaProducer<String, byte[]> p = producer(kafka)) {
        p.send(new ProducerRecord<>("t", "k2", "two".getBytes(StandardCharsets.UTF_8))).get(10, TimeUnit.SECONDS);
      }

      kafka.kill();
      kafka.start();
      System.out.println("kafka restart after kill: " + kafka.lastStartTime().toMillis() + " ms");
      try (TopicReader r = kafka.reader("t")) {
        List<TopicReader.Record> all = r.readToEnd(Duration.ofSeconds(20));
        assertEquals(List.of("k1", "k2"), all.stream().map(TopicReader.Record::keyOrEmpty).sorted().toList());
        assertArrayEquals("one".getBytes(StandardCharsets.UTF_8),
            all.stream().filter(x -> x.keyOrEmpty().equals("k1")).findFirst().orElseThrow().value());
      }
    }
  }

  @Test
  void createsCompactedTopicsAndRefusesToReadAMissingTopic() throws Exception {
    KafkaBroker kafka = KafkaBroker.shared();
    kafka.createTopic("harness-models", 2, true);
    ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, "harness-models");
    ConfigEntry policy = kafka.admin().describeConfigs(List.of(res)).all().get(10, TimeUnit.SECONDS).get(res)
        .get("cleanup.policy");
    assertEquals("compact", policy.value());
    assertEquals(2, kafka.admin().describeTopics(List.of("harness-models")).allTopicNames()
        .get(10, TimeUnit.SECONDS).get("harness-models").partitions().size());
    try (TopicReader r = kafka.reader("harness-absent")) {
      AssertionError e = assertThrows(AssertionError.class, () -> r.readToEnd(Duration.ofSeconds(2)));
      assertTrue(e.getMessage().contains("harness-absent"), e.getMessage());
    }
  }
}
