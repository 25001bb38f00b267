package org.gitopsrelay.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.kafka.EmbeddedKafkaBroker;
import org.gitopsrelay.kafka.KafkaClientConfig;
import org.gitopsrelay.shared.RelayException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Replay of dead letters against a real broker of its own: each test starts with fresh topics, so the marker and
 * the records of one test are not another's.
 */
class DeadLetterReplayTest {

    private static Path dir;
    private static EmbeddedKafkaBroker broker;
    private static Admin admin;
    private KafkaClientConfig kafka;

    @BeforeAll
    static void startBroker() throws Exception {
        dir = Files.createTempDirectory("dead-letter-replay");
        broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), null);
        admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()));
    }

    @AfterAll
    static void stopBroker() {
        admin.close();
        broker.close();
    }

    @BeforeEach
    void freshTopics() throws Exception {
        List<String> ours = List.of(Topics.DEAD_LETTER, Topics.REPLAY_STATE, Topics.GIT_EVENTS, Topics.NOTIFIER_REPLAY,
                "victim");
        admin.deleteTopics(admin.listTopics().names().get().stream().filter(ours::contains).toList()).all().get();
        awaitTopicsGone(ours);
        admin.createTopics(List.of(new NewTopic(Topics.DEAD_LETTER, 3, (short) 1),
                new NewTopic(Topics.REPLAY_STATE, 1, (short) 1).configs(Map.of("cleanup.policy", "compact")),
                new NewTopic(Topics.GIT_EVENTS, 3, (short) 1), new NewTopic(Topics.NOTIFIER_REPLAY, 1, (short) 1)))
                .all().get();
        forgetReplayGroup();
        kafka = new KafkaClientConfig(Map.of("bootstrap.servers", broker.bootstrapServers(),
                // The relay's own clients never create topics: a replay must not conjure one from a header.
                "allow.auto.create.topics", false));
    }

    /** Deletes the old replay consumer group, as Kafka does once its offsets expire; absent is fine. */
    private static void forgetReplayGroup() throws Exception {
        admin.deleteConsumerGroups(List.of(DeadLetters.GROUP)).all().toCompletionStage().toCompletableFuture()
                .exceptionally(e -> null).get();
    }

    private static void awaitTopicsGone(List<String> topics) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (admin.listTopics().names().get().stream().anyMatch(topics::contains)) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private void deadLetter(String target, String value) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
            ProducerRecord<String, String> record = new ProducerRecord<>(Topics.DEAD_LETTER, "demo", value);
            record.headers().add("dead-letter-topic", target.getBytes(StandardCharsets.UTF_8));
            record.headers().add("dead-letter-reason", "test".getBytes(StandardCharsets.UTF_8));
            producer.send(record).get();
        }
    }

    /** What a read-committed consumer (as the handlers are) finds on a topic. */
    private List<String> committedValues(String topic) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers(), "isolation.level", "read_committed"), new StringDeserializer(),
                new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<String> values = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))
                    && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
            return values;
        }
    }

    @Test
    void aDeadLetterNamingAnotherTopicThanTheRelaysIsRefusedAndNothingIsSentThere() throws Exception {
        String event = "event-" + UUID.randomUUID();
        String crafted = "crafted-" + UUID.randomUUID();
        deadLetter(Topics.GIT_EVENTS, event);
        deadLetter("victim", crafted);

        DeadLetters.Replay replay = new DeadLetters(kafka, Duration.ofSeconds(30)).replay();

        assertThat(replay.replayed()).extracting(DeadLetters.DeadLetter::topic).containsExactly(Topics.GIT_EVENTS);
        assertThat(replay.refused()).singleElement().satisfies(refusal -> {
            assertThat(refusal.record().topic()).isEqualTo("victim");
            assertThat(refusal.why()).contains("not one of the relay's topics");
        });
        assertThat(committedValues(Topics.GIT_EVENTS)).containsExactly(event);
        assertThat(admin.listTopics().names().get()).doesNotContain("victim");
        // Refused once is done: it does not come back at every replay.
        assertThat(new DeadLetters(kafka, Duration.ofSeconds(30)).pending()).isEmpty();
    }

    @Test
    void whatWasReplayedStaysReplayedWhenTheConsumerGroupOffsetsExpire() throws Exception {
        String event = "event-" + UUID.randomUUID();
        deadLetter(Topics.GIT_EVENTS, event);
        assertThat(new DeadLetters(kafka, Duration.ofSeconds(30)).replay().replayed()).hasSize(1);

        // Kafka drops the committed offsets of a group without members after offsets.retention.minutes (7 days):
        // what earlier versions relied on. The marker lives in relay.replay-state instead.
        forgetReplayGroup();

        assertThat(new DeadLetters(kafka, Duration.ofSeconds(30)).pending()).isEmpty();
        assertThat(new DeadLetters(kafka, Duration.ofSeconds(30)).replay().replayed()).isEmpty();
        assertThat(committedValues(Topics.GIT_EVENTS)).containsExactly(event);
    }

    /** What an earlier version did after a replay: commit the replay group's offsets to the end of the topic. */
    private void replayedTheOldWay() {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers(), "group.id", DeadLetters.GROUP), new StringDeserializer(),
                new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.DEAD_LETTER, Duration.ofSeconds(10))
                    .stream().map(info -> new TopicPartition(Topics.DEAD_LETTER, info.partition())).toList();
            Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> ends = new java.util.HashMap<>();
            consumer.endOffsets(partitions).forEach((partition, end) -> ends.put(partition,
                    new org.apache.kafka.clients.consumer.OffsetAndMetadata(end)));
            consumer.commitSync(ends);
        }
    }

    @Test
    void whatAnEarlierVersionReplayedIsKeptAsAMarkerAtStartBeforeItsGroupOffsetsExpire() throws Exception {
        deadLetter(Topics.GIT_EVENTS, "old-" + UUID.randomUUID());
        deadLetter(Topics.GIT_EVENTS, "old-" + UUID.randomUUID());
        replayedTheOldWay();

        assertThat(new DeadLetters(kafka, Duration.ofSeconds(30)).migrateGroupOffsets()).isTrue();
        assertThat(new DeadLetters(kafka, Duration.ofSeconds(30)).migrateGroupOffsets()).isFalse();
        forgetReplayGroup();

        assertThat(new DeadLetters(kafka, Duration.ofSeconds(30)).pending()).isEmpty();
        assertThat(committedValues(Topics.GIT_EVENTS)).isEmpty();
    }

    @Test
    void aReplayWithNothingToSendStillRecordsWhereEarlierVersionsGotTo() throws Exception {
        deadLetter(Topics.GIT_EVENTS, "old-" + UUID.randomUUID());
        replayedTheOldWay();

        assertThat(new DeadLetters(kafka, Duration.ofSeconds(30)).replay().replayed()).isEmpty();
        forgetReplayGroup();

        assertThat(new DeadLetters(kafka, Duration.ofSeconds(30)).pending()).isEmpty();
    }

    @Test
    void twoReplicasReplayingAtOnceSendEveryRecordOnce() throws Exception {
        List<String> events = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            events.add("event-" + i + "-" + UUID.randomUUID());
            deadLetter(i % 3 == 0 ? Topics.NOTIFIER_REPLAY : Topics.GIT_EVENTS, events.get(i));
        }
        // Two replicas: two instances, each with its own lock, started together.
        DeadLetters first = new DeadLetters(kafka, Duration.ofSeconds(30));
        DeadLetters second = new DeadLetters(kafka, Duration.ofSeconds(30));
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Object>> outcomes = new ArrayList<>();
            for (DeadLetters replica : List.of(first, second)) {
                outcomes.add(pool.submit(() -> {
                    start.await();
                    try {
                        return replica.replay();
                    } catch (RelayException e) {
                        return e;
                    }
                }));
            }
            start.countDown();
            for (Future<Object> outcome : outcomes) {
                Object result = outcome.get();
                if (result instanceof RelayException e) {
                    assertThat(e.reason()).isEqualTo(RelayException.Reason.REPLAY_SUPERSEDED);
                }
            }
        } finally {
            pool.shutdownNow();
        }

        List<String> sent = new ArrayList<>(committedValues(Topics.GIT_EVENTS));
        sent.addAll(committedValues(Topics.NOTIFIER_REPLAY));
        assertThat(sent).containsExactlyInAnyOrderElementsOf(events);
        assertThat(new DeadLetters(kafka, Duration.ofSeconds(30)).pending()).isEmpty();
    }
}
