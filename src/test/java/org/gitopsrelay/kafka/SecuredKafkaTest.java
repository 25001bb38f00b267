package org.gitopsrelay.kafka;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.gitopsrelay.testing.GitCli.git;
import static org.gitopsrelay.testing.Webhooks.github;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.awaitility.Awaitility;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.testing.Fixtures;
import org.gitopsrelay.testing.OwnBrokerEnvironment;
import org.gitopsrelay.testing.RelayTestEnvironment;
import org.gitopsrelay.testing.TopicReader;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Against a cluster that wants SASL PLAIN credentials, every Kafka client of the service (the connector's consumers
 * and the relay's own producer, dead-letter reader, topic creator, state topics) authenticates with the one
 * {@code kafka.*} configuration; a client without credentials is refused.
 */
@QuarkusTest
@QuarkusTestResource(value = SecuredKafkaTest.SaslBroker.class, restrictToAnnotatedClass = true)
class SecuredKafkaTest {

    private static final String RELAY_PASSWORD = "relay-s3cret-pw";

    public static class SaslBroker extends OwnBrokerEnvironment {
        @Override
        protected EmbeddedKafkaBroker startBroker(java.nio.file.Path logDir) {
            return EmbeddedKafkaBroker.startWithSaslPlain(logDir, Map.of("relay", RELAY_PASSWORD));
        }

        @Override
        protected Map<String, String> kafkaSettings() {
            return Map.of("kafka.security.protocol", "SASL_PLAINTEXT",
                    "kafka.sasl.mechanism", "PLAIN",
                    "kafka.sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required"
                            + " username=\"relay\" password=\"" + RELAY_PASSWORD + "\";");
        }
    }

    @Inject
    RelayConfig config;

    @Inject
    KafkaClientConfig kafka;

    @Test
    void aClientWithoutCredentialsIsRefused() {
        Map<String, Object> anonymous = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                2000);
        try (Admin admin = Admin.create(anonymous)) {
            assertThatThrownBy(() -> admin.listTopics().names().get(5, TimeUnit.SECONDS)).isNotNull();
        }
        Map<String, Object> wrongPassword = new HashMap<>(TopicReader.clientConfig(anonymous));
        wrongPassword.put("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required"
                + " username=\"relay\" password=\"guess\";");
        try (Admin admin = Admin.create(wrongPassword)) {
            assertThatThrownBy(() -> admin.listTopics().names().get(5, TimeUnit.SECONDS))
                    .hasStackTraceContaining("Authentication failed");
        }
    }

    @Test
    void aWebhookIsAcceptedDeployedAndPublishedOverTheAuthenticatedListener() throws Exception {
        try (Admin admin = Admin.create(kafka.with(Map.of()))) {
            assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS)).containsAll(Topics.ALL);
        }
        String sha = Fixtures.sha();
        String eventId = github("push", Fixtures.text(Fixtures.push("github-push-main", sha, Fixtures.nextPushTime())))
                .statusCode(202).extract().path("events[0]");
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> git(
                config.dataDir().resolve("gitops.git"), "log", "-1", "--format=%B", "main").contains(sha));
        try (TopicReader deployments = new TopicReader(Topics.DEPLOYMENTS)) {
            assertThat(deployments.awaitOutcomeData(OutcomeEvent.DeploymentCommitted.class, eventId,
                    Duration.ofSeconds(30)).sourceCommit()).isEqualTo(sha);
        }
        given().header("Authorization", "Bearer " + RelayTestEnvironment.API_TOKEN).get("/api/dead-letters").then()
                .statusCode(200);
    }
}
