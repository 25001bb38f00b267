package org.gitopsrelay.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.gitopsrelay.testing.GitCli.git;
import static org.gitopsrelay.testing.Webhooks.github;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.testing.Fixtures;
import org.gitopsrelay.testing.OwnBrokerEnvironment;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * With {@code kafka.bootstrap.servers} set, the service uses that cluster (here a broker the test starts on its
 * own) and starts none of its own; the topics it creates have the configured partition count.
 */
@QuarkusTest
@QuarkusTestResource(value = ExternalKafkaTest.ExternalBroker.class, restrictToAnnotatedClass = true)
class ExternalKafkaTest {

    /** A broker outside the service's data dir, plus the usual test environment. */
    public static class ExternalBroker extends OwnBrokerEnvironment {
        @Override
        protected EmbeddedKafkaBroker startBroker(Path logDir) {
            return EmbeddedKafkaBroker.start(logDir, null);
        }

        @Override
        protected Map<String, String> kafkaSettings() {
            return Map.of("relay.kafka.partitions", "5");
        }
    }

    @Inject
    RelayConfig config;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void usesTheConfiguredClusterAndStartsNoBrokerOfItsOwn() throws Exception {
        assertThat(Files.exists(config.dataDir().resolve("kafka"))).isFalse();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            assertThat(admin.describeTopics(Topics.ALL).allTopicNames().get(10, TimeUnit.SECONDS).values())
                    .allSatisfy(topic -> assertThat(topic.partitions()).hasSize(5));
            var resources = java.util.List.of(Topics.DEAD_LETTER, Topics.MONITOR_STATE, Topics.NOTIFIER_THREADS).stream()
                    .map(name -> new org.apache.kafka.common.config.ConfigResource(
                            org.apache.kafka.common.config.ConfigResource.Type.TOPIC, name))
                    .toList();
            var configs = admin.describeConfigs(resources).all().get(10, TimeUnit.SECONDS);
            assertThat(configs.get(resources.get(0)).get("retention.ms").value()).as("dead letters kept")
                    .isEqualTo("-1");
            assertThat(configs.get(resources.get(1)).get("cleanup.policy").value()).isEqualTo("compact");
            assertThat(configs.get(resources.get(2)).get("cleanup.policy").value()).isEqualTo("compact,delete");
        }

        String sha = Fixtures.sha();
        github("push", Fixtures.text(Fixtures.push("github-push-main", sha, Fixtures.nextPushTime()))).statusCode(202);

        Path remote = config.dataDir().resolve("gitops.git");
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> git(remote, "log", "-1", "--format=%B", "main").contains(sha));
    }
}
