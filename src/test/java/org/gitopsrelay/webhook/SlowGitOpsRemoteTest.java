package org.gitopsrelay.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.gitopsrelay.testing.GitCli.git;
import static org.gitopsrelay.testing.Webhooks.github;
import static org.gitopsrelay.testing.Webhooks.githubWithItsTimeout;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.matchesPattern;

import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import jakarta.inject.Inject;

import org.gitopsrelay.app.AppRegistry;
import org.gitopsrelay.app.RegistrySync;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.testing.Fixtures;
import org.gitopsrelay.testing.HttpGitOpsEnvironment;
import org.gitopsrelay.testing.RelayTestEnvironment;
import org.gitopsrelay.testing.TestApps;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The GitOps remote answers fetches slowly (here: not at all until released). A webhook that needs the registry's
 * refresh waits for it only {@code relay.webhook.registry-wait} (1 s here), then asks for a redelivery; it never
 * hangs until GitHub gives up, and never says "ignored" for an event it could not route yet.
 */
@QuarkusTest
@QuarkusTestResource(value = RelayTestEnvironment.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = HttpGitOpsEnvironment.class, restrictToAnnotatedClass = true)
class SlowGitOpsRemoteTest {

    @Inject
    RelayConfig config;

    @Inject
    AppRegistry registry;

    @Test
    void aWebhookWaitingOnASlowRegistryRefreshIs503WithRetryAfterAndItsRedeliveryIsAccepted() throws Exception {
        Path clone = config.dataDir().resolve("clone-" + UUID.randomUUID());
        git(config.dataDir(), "clone", "-q", HttpGitOpsEnvironment.bareRepository.toString(), clone.toString());
        TestApps.pushApp(clone, "latecomer", "source: {repository: github.com/example/latecomer}\n"
                + "image: {repository: registry.example.org/example/latecomer}\n"
                + "environments: {staging: {branch: main}}\n");
        // The start-up refresh must be past the on-demand rate limit, or no webhook would ask for one.
        Thread.sleep(RegistrySync.MIN_ON_DEMAND_INTERVAL.toMillis() + 100);
        String delivery = UUID.randomUUID().toString();
        String push = Fixtures.text(Fixtures.push("github-push-main", Fixtures.sha(), Fixtures.nextPushTime()))
                .replace("example/demo", "example/latecomer");

        HttpGitOpsEnvironment.server.holdFetches();
        try {
            githubWithItsTimeout("push", push, delivery).statusCode(503)
                    .header("Retry-After", matchesPattern("[1-9][0-9]*"))
                    .body("reason", equalTo("registry-refreshing"))
                    .body("error", containsString("redeliver"));
            // A repository the registry knows is routed at once, slow remote or not.
            githubWithItsTimeout("push", Fixtures.text(Fixtures.push("github-push-main", Fixtures.sha(),
                    Fixtures.nextPushTime())), UUID.randomUUID().toString()).statusCode(202).body("events", hasSize(1));
            // A registered repository's push that no environment follows is answered, not refused: a sender
            // seeing failures for every feature-branch push may disable the webhook.
            githubWithItsTimeout("push", Fixtures.text(Fixtures.push("github-push-main", Fixtures.sha(),
                    Fixtures.nextPushTime())).replace("refs/heads/main", "refs/heads/docs/typo"),
                    UUID.randomUUID().toString()).statusCode(202)
                    .body("ignored", containsString("did not end within"));
            assertThat(registry.app("latecomer")).isEmpty();
        } finally {
            HttpGitOpsEnvironment.server.releaseFetches();
        }

        await().atMost(Duration.ofSeconds(30)).until(() -> registry.app("latecomer").isPresent());
        github("push", push, delivery).statusCode(202).body("events", hasSize(1));
    }
}
