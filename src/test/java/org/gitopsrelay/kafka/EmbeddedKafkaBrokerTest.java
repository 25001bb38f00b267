package org.gitopsrelay.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded KRaft broker keeps what it was given across a restart on the same log. */
class EmbeddedKafkaBrokerTest {

    @TempDir
    Path tmp;

    @Test
    void eventsWrittenBeforeARestartAreStillThereAfterIt() throws Exception {
        Path log = tmp.resolve("kafka");
        String value = "event-" + UUID.randomUUID();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(log, null);
                KafkaProducer<String, String> producer = new KafkaProducer<>(
                        Map.of("bootstrap.servers", broker.bootstrapServers(), "acks", "all"),
                        new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("relay.git-events", "demo", value)).get();
        }
        String clusterId = Files.readString(log.resolve("meta.properties"));

        try (EmbeddedKafkaBroker restarted = EmbeddedKafkaBroker.start(log, null);
                KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                        "bootstrap.servers", restarted.bootstrapServers(), "group.id", "check",
                        "auto.offset.reset", "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("relay.git-events"));
            List<String> values = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!values.contains(value) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
            assertThat(values).contains(value);
        }
        assertThat(Files.readString(log.resolve("meta.properties"))).isEqualTo(clusterId);
    }
}
