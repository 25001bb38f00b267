package org.gitopsrelay.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.gitopsrelay.testing.GitCli.git;
import static org.gitopsrelay.testing.Webhooks.github;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.time.Duration;
import java.util.Map;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.kafka.EmbeddedKafka;
import org.gitopsrelay.testing.Fixtures;
import org.gitopsrelay.testing.RelayTestEnvironment;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;

/**
 * Kafka goes down under a running service: webhooks get 503 (nothing half-done, the sender may redeliver), and once
 * the broker is back on its log the pipeline carries on where it was.
 */
@QuarkusTest
@QuarkusTestResource(value = RelayTestEnvironment.class, restrictToAnnotatedClass = true)
@TestProfile(KafkaOutageTest.ShortSendTimeout.class)
class KafkaOutageTest {

    public static class ShortSendTimeout implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("relay.kafka.send-timeout", "PT2S");
        }
    }

    @Inject
    RelayConfig config;

    private String push(String sha, long pushedAt) {
        return Fixtures.text(Fixtures.push("github-push-main", sha, pushedAt));
    }

    private void awaitCommitOf(String sha) {
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> git(
                config.dataDir().resolve("gitops.git"), "log", "-1", "--format=%B", "main").contains(sha));
    }

    @Test
    void webhooksAnswer503WhileKafkaIsDownAndThePipelineResumesWhenItIsBack() {
        String first = Fixtures.sha();
        github("push", push(first, Fixtures.nextPushTime())).statusCode(202);
        awaitCommitOf(first);

        String duringOutage = Fixtures.sha();
        long duringOutageAt = Fixtures.nextPushTime();
        EmbeddedKafka.holdDown();
        try {
            long started = System.nanoTime();
            github("push", push(duringOutage, duringOutageAt)).statusCode(503)
                    .body("reason", equalTo("kafka-unavailable"))
                    .body("error", containsString("Kafka did not acknowledge the write to relay.git-events within 2000 ms"));
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        } finally {
            // Whatever failed above, the broker comes back: later tests must not inherit the outage.
            EmbeddedKafka.ensureStarted(config.dataDir());
        }
        // GitHub does not redeliver on its own; the sender (or a person) redelivers the refused delivery.
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> github("push", push(duringOutage, duringOutageAt)).extract().statusCode() == 202);
        awaitCommitOf(duringOutage);
        RestAssured.get("/q/metrics").then()
                .body(containsString("relay_webhook_deliveries_total{outcome=\"kafka-unavailable\",provider=\"github\"}"));
    }
}
