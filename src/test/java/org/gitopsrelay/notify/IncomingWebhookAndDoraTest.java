package org.gitopsrelay.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.gitopsrelay.testing.GitCli.git;
import static org.gitopsrelay.testing.Webhooks.github;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import jakarta.inject.Inject;

import org.gitopsrelay.app.RegistrySync;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.testing.Fixtures;
import org.gitopsrelay.testing.LogCapture;
import org.gitopsrelay.testing.MattermostStandIn;
import org.gitopsrelay.testing.MattermostStandIn.Call;
import org.gitopsrelay.testing.MattermostWebhookEnvironment;
import org.gitopsrelay.testing.RelayTestEnvironment;
import org.gitopsrelay.testing.TestApps;
import org.gitopsrelay.testing.TopicReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

/**
 * Incoming-webhook notifications (one post per event, the app's named webhook when it has one), and the monitor's
 * DORA metrics as Prometheus scrapes them after real deployments through the real broker.
 */
@QuarkusTest
@QuarkusTestResource(value = RelayTestEnvironment.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = MattermostWebhookEnvironment.class, restrictToAnnotatedClass = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IncomingWebhookAndDoraTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    RelayConfig config;

    @Inject
    RegistrySync registrySync;

    private TopicReader deployments;
    private LogCapture logs;

    @BeforeAll
    void read() {
        logs = LogCapture.attach();
        deployments = new TopicReader(Topics.DEPLOYMENTS);
    }

    @AfterAll
    void close() {
        logs.close();
        deployments.close();
        // The webhook URLs' keys are the secrets: they must never reach a log line.
        assertThat(logs.leaking(MattermostWebhookEnvironment.DEFAULT_KEY, MattermostWebhookEnvironment.TEAM_B_KEY,
                RelayTestEnvironment.GITHUB_SECRET, RelayTestEnvironment.API_TOKEN)).isEmpty();
    }

    private static MattermostStandIn standIn() {
        return MattermostWebhookEnvironment.standIn;
    }

    private RelayEvent awaitOutcome(Class<? extends OutcomeEvent> type, String triggerEvent) {
        return deployments.awaitOutcome(type, triggerEvent, WAIT);
    }

    private static Call awaitPost(String eventId) {
        return standIn().awaitPost(eventId, WAIT);
    }

    private static String push(String repo, String sha) {
        return github("push", Fixtures.text(Fixtures.push("github-push-main", sha, Fixtures.nextPushTime()))
                .replace("example/demo", repo)).statusCode(202).extract().path("events[0]");
    }

    private static String metrics() {
        return RestAssured.get("/q/metrics").then().statusCode(200).extract().asString();
    }

    @Test
    void everyEventIsOnePostOnTheIncomingWebhook() {
        String sha = Fixtures.sha();
        RelayEvent deployed = awaitOutcome(OutcomeEvent.DeploymentCommitted.class, push("example/demo", sha));
        Call post = awaitPost(deployed.id());
        assertThat(post.path()).isEqualTo("/hooks/" + MattermostWebhookEnvironment.DEFAULT_KEY);
        assertThat(post.body().path("username").asText()).isEqualTo("gitops-relay");
        assertThat(post.body().path("text").asText()).startsWith(":white_check_mark: **demo** `staging` now runs")
                .contains(sha);
        assertThat(post.body().path("attachments").path(0).path("text").asText())
                .contains("https://github.com/example/demo/commit/" + sha, "pushed by `alice`");
        assertThat(post.body().path("root_id").isMissingNode()).isTrue();
    }

    @Test
    void anAppNamingAWebhookIsNotifiedThroughItAndItsPreviewsAreCounted() throws Exception {
        TestApps.onboard(config.dataDir(), registrySync, "teamb", "source: {repository: github.com/example/teamb}\n"
                + "image: {repository: registry.example.org/example/teamb}\nenvironments: {}\n"
                + "previews: {pullRequests: true}\nnotifications: {mattermost: {webhook: team-b}}\n");
        String opened = github("pull_request", Fixtures.pullRequest("opened", 12, "feature/b", Fixtures.sha(), false,
                Fixtures.nextPushTime()).replace("example/demo", "example/teamb")).statusCode(202).extract()
                .path("events[0]");
        RelayEvent created = awaitOutcome(OutcomeEvent.PreviewCreated.class, opened);
        Call post = awaitPost(created.id());
        assertThat(post.path()).isEqualTo("/hooks/" + MattermostWebhookEnvironment.TEAM_B_KEY);
        assertThat(post.body().path("text").asText()).contains("Preview `pr-12` of **teamb** is live at");
        await().atMost(WAIT).until(IncomingWebhookAndDoraTest::metrics,
                text -> text.contains("relay_previews_live{app=\"teamb\"} 1.0"));
    }

    @Test
    void doraMetricsCountDeploymentsLeadTimeChangeFailuresAndRecovery() throws Exception {
        Path clone = TestApps.freshClone(config.dataDir());
        Files.createDirectories(clone.resolve("apps/flaky/envs/staging"));
        Files.writeString(clone.resolve("apps/flaky/app.yaml"), "source: {repository: github.com/example/flaky}\n"
                + "image: {repository: registry.example.org/example/flaky}\nenvironments:\n  staging: {branch: main}\n");
        Files.writeString(clone.resolve("apps/flaky/envs/staging/kustomization.yaml"), "resources: [missing.yaml]\n");
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "Onboard flaky, broken");
        TestApps.push(clone);
        registrySync.refresh();

        awaitOutcome(OutcomeEvent.DeploymentFailed.class, push("example/flaky", Fixtures.sha()));
        Files.writeString(clone.resolve("apps/flaky/envs/staging/kustomization.yaml"), "resources: []\n");
        git(clone, "commit", "-qam", "Fix flaky");
        git(clone, "pull", "-q", "--rebase", "origin", "main");
        TestApps.push(clone);
        awaitOutcome(OutcomeEvent.DeploymentCommitted.class, push("example/flaky", Fixtures.sha()));

        String labels = "app=\"flaky\",environment=\"staging\"";
        String text = await().atMost(WAIT).until(IncomingWebhookAndDoraTest::metrics,
                scraped -> scraped.contains("relay_dora_recovery_time_seconds_count{" + labels + "} 1"));
        assertThat(text).contains(
                "relay_dora_deployments_total{" + labels + ",outcome=\"committed\"} 1.0",
                "relay_dora_deployments_total{" + labels + ",outcome=\"failed\"} 1.0",
                "relay_dora_change_failures_total{" + labels + "} 1.0",
                "relay_dora_lead_time_seconds_count{" + labels + ",stage=\"committed\"} 1",
                "relay_dora_lead_time_seconds_bucket{" + labels + ",stage=\"committed\",le=\"2592000.0\"} 1",
                "relay_deployments_total{" + labels + ",outcome=\"committed\"} 1.0");
        List<String> fiveMinuteBucket = text.lines().filter(line -> line.startsWith(
                "relay_dora_recovery_time_seconds_bucket{" + labels + ",le=\"300.0\"}")).toList();
        assertThat(fiveMinuteBucket).as("recovered within minutes").singleElement().asString().endsWith(" 1.0");
        // The monitor measures the handlers' committed lag on its schedule; all of it is handled by now.
        await().atMost(WAIT).until(IncomingWebhookAndDoraTest::metrics,
                scraped -> scraped.contains("relay_consumer_lag_records{group=\"gitops-relay-handlers\"} 0.0"));
    }
}
