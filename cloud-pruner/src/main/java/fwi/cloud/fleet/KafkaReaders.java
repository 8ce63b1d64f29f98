package fwi.cloud.fleet;

import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Consumers for the service's in-memory views of Kafka topics (fleet state, the dashboard's latest
 * results): no consumer group and no committed offsets — every instance reads whole partitions it
 * assigns itself, keys as device-id strings, values as raw protobuf bytes.
 */
public final class KafkaReaders {
  private KafkaReaders() {
  }

  /**
   * @param offsetReset {@code earliest} or {@code latest}: where a partition without a position starts
   */
  public static KafkaConsumer<String, byte[]> groupless(String bootstrapServers, String clientId, String offsetReset) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, offsetReset);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    return new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
  }
}
