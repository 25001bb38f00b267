package org.gitopsrelay.notify;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.gitopsrelay.testing.Webhooks.github;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.gitopsrelay.app.AppRegistry;
import org.gitopsrelay.app.RegistrySync;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.kafka.EventPublisher;
import org.gitopsrelay.testing.EventsDoc;
import org.gitopsrelay.testing.Fixtures;
import org.gitopsrelay.testing.LogCapture;
import org.gitopsrelay.testing.MattermostApiEnvironment;
import org.gitopsrelay.testing.MattermostStandIn;
import org.gitopsrelay.testing.MattermostStandIn.Call;
import org.gitopsrelay.testing.MattermostStandIn.Scripted;
import org.gitopsrelay.testing.RelayTestEnvironment;
import org.gitopsrelay.testing.TestApps;
import org.gitopsrelay.testing.TopicReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The notifier against a stand-in Mattermost through the real broker: one thread per preview and per production
 * deployment, per-app channels, rate limits, and a Mattermost that fails and hangs without holding up a deployment.
 */
@QuarkusTest
@QuarkusTestResource(value = RelayTestEnvironment.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = MattermostApiEnvironment.class, restrictToAnnotatedClass = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MattermostThreadsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    RelayConfig config;

    @Inject
    RegistrySync registrySync;

    @Inject
    AppRegistry registry;

    @Inject
    MattermostSender sender;

    @Inject
    EventPublisher publisher;

    @Inject
    MeterRegistry metrics;

    @Inject
    org.gitopsrelay.monitor.ConsumerLag consumerLag;

    @Inject
    org.gitopsrelay.kafka.KafkaClientConfig kafkaClients;

    private TopicReader deployments;
    private TopicReader deadLetters;
    private LogCapture logs;

    @BeforeAll
    void read() {
        logs = LogCapture.attach();
        deployments = new TopicReader(Topics.DEPLOYMENTS);
        deadLetters = new TopicReader(Topics.DEAD_LETTER);
    }

    @AfterAll
    void close() {
        logs.close();
        // Real events, retries, time-outs, refusals and dead letters happened: none of it may log a secret.
        assertThat(logs.lines()).extracting(LogCapture.Line::logger).contains("gitops-relay.handled");
        assertThat(logs.leaking(MattermostStandIn.TOKEN, RelayTestEnvironment.GITHUB_SECRET,
                RelayTestEnvironment.API_TOKEN)).isEmpty();
        List<LogCapture.Line> handled = logs.lines().stream().filter(line -> line.logger().equals(
                "gitops-relay.handled")).toList();
        assertThat(handled).isNotEmpty().allSatisfy(line -> assertThat(line.mdc()).containsKeys("eventId", "app",
                "environment", "outcome", "durationMs"));
        EventsDoc.checkAgainstRealRecords(deployments.drain(Duration.ZERO));
        deployments.close();
        deadLetters.close();
    }

    @AfterEach
    void recover() {
        standIn().recover();
    }

    private static MattermostStandIn standIn() {
        return MattermostApiEnvironment.standIn;
    }

    private RelayEvent awaitOutcome(Class<? extends OutcomeEvent> type, String triggerEvent) {
        return deployments.awaitOutcome(type, triggerEvent, WAIT);
    }

    private static Call awaitPost(String eventId) {
        return standIn().awaitPost(eventId, WAIT);
    }

    private static String attachment(Call call) {
        return call.body().path("props").path("attachments").path(0).path("text").asText();
    }

    /** An app of the test's own, laid out as the demo app is: no other test's notifications are about it. */
    private String ownApp(String prefix) throws Exception {
        return TestApps.onboardLikeDemo(config.dataDir(), registrySync, prefix);
    }

    private static String pullRequest(String app, String action, int number, String sha) {
        return github("pull_request", TestApps.forApp(app, Fixtures.pullRequest(action, number, "feature/login", sha,
                action.equals("closed"), Fixtures.nextPushTime()))).statusCode(202).extract().path("events[0]");
    }

    private static String push(String app, String fixture, String sha) {
        String body = TestApps.forApp(app, Fixtures.text(Fixtures.push(fixture, sha, Fixtures.nextPushTime())));
        return github("push", body).statusCode(202).extract().path("events[0]");
    }

    /** The calls that carried this event's notification. */
    private static List<Call> callsOf(String eventId) {
        return standIn().calls().stream().filter(call -> call.body() != null && eventId.equals(call.body()
                .path("props").path("gitops_relay_event").asText())).toList();
    }

    @Test
    void aPreviewKeepsOneThreadFromOpeningToClosingWithItsRootShowingTheState() throws Exception {
        String app = ownApp("thread");
        int number = ThreadLocalRandom.current().nextInt(1000, 1_000_000);
        String first = Fixtures.sha();
        String opened = pullRequest(app, "opened", number, first);
        RelayEvent created = awaitOutcome(OutcomeEvent.PreviewCreated.class, opened);
        Call root = awaitPost(created.id());

        assertThat(root.body().path("root_id").isMissingNode()).as("a root post has no root_id").isTrue();
        assertThat(root.body().path("channel_id").asText()).isEqualTo(MattermostApiEnvironment.CHANNEL);
        assertThat(root.header("Authorization")).isEqualTo("Bearer " + MattermostStandIn.TOKEN);
        assertThat(root.body().path("message").asText()).contains("Preview `pr-" + number + "` of **" + app + "**");
        String url = "https://pr-" + number + "." + app + ".preview.localhost";
        assertThat(attachment(root)).contains("State: :large_green_circle: live", "[" + url + "](" + url + ")",
                "Pull request [#" + number + "](https://github.com/example/" + app + "/pull/" + number + ")",
                "branch `feature/login`", "by `bob`", "https://github.com/example/" + app + "/commit/" + first,
                "Expires ");
        String rootId = root.body().path("id").asText();

        String second = Fixtures.sha();
        RelayEvent updated = awaitOutcome(OutcomeEvent.PreviewUpdated.class, pullRequest(app, "synchronize", number,
                second));
        Call update = awaitPost(updated.id());
        assertThat(update.body().path("root_id").asText()).isEqualTo(rootId);
        assertThat(update.body().path("message").asText()).contains(":arrows_counterclockwise: Updated to",
                second.substring(0, 7), "GitOps commit [`", "](https://git.example.org/platform/gitops/commit/");

        RelayEvent closed = awaitOutcome(OutcomeEvent.PreviewDeleted.class, pullRequest(app, "closed", number,
                second));
        Call closing = awaitPost(closed.id());
        assertThat(closing.body().path("root_id").asText()).isEqualTo(rootId);
        assertThat(closing.body().path("message").asText()).contains(":wastebasket: Closed: pull request #" + number
                + " merged");

        List<Call> patches = standIn().accepted(call -> call.method().equals("PUT")
                && call.path().equals("/api/v4/posts/" + rootId + "/patch"));
        assertThat(patches).extracting(MattermostThreadsTest::attachment).satisfiesExactly(
                card -> assertThat(card).contains("live, updated to `" + second.substring(0, 7) + "`"),
                card -> assertThat(card).contains(":white_circle: closed: pull request #" + number + " merged")
                        .doesNotContain("Expires"));
        List<Call> roots = standIn().accepted(call -> call.method().equals("POST") && call.body().path("root_id")
                .isMissingNode() && call.body().path("message").asText().contains("`pr-" + number + "` of **" + app
                        + "**"));
        assertThat(roots).as("one thread per preview").hasSize(1);
        saveExample(app, root, List.of(update, closing), patches.get(patches.size() - 1));
    }

    /**
     * The thread as Mattermost received it, for the README's rendered example, which shows it for the demo app (the
     * app a new GitOps repository has): the test's own app is laid out as the demo app is, only its name differs.
     */
    private static void saveExample(String app, Call root, List<Call> replies, Call lastPatch) {
        StringBuilder text = new StringBuilder("Root post (as first posted):\n> ")
                .append(root.body().path("message").asText()).append("\n> ")
                .append(attachment(root).replace("\n", "\n> ")).append("\n\n");
        for (Call reply : replies) {
            text.append("Reply:\n> ").append(reply.body().path("message").asText()).append("\n\n");
        }
        text.append("Root post (as edited last):\n> ").append(lastPatch.body().path("message").asText())
                .append("\n> ").append(attachment(lastPatch).replace("\n", "\n> ")).append('\n');
        try {
            java.nio.file.Files.createDirectories(java.nio.file.Path.of("target"));
            java.nio.file.Files.writeString(java.nio.file.Path.of("target/preview-thread-example.md"),
                    text.toString().replace(app, "demo"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aSecondNotifierWithNothingInMemoryRepliesInTheSameThread() throws Exception {
        String app = ownApp("replica");
        int number = ThreadLocalRandom.current().nextInt(1000, 1_000_000);
        RelayEvent created = awaitOutcome(OutcomeEvent.PreviewCreated.class, pullRequest(app, "opened", number,
                Fixtures.sha()));
        String rootId = awaitPost(created.id()).body().path("id").asText();

        // A replica that has just started: its only memory of threads is the compacted topic.
        DeploymentNotifier replica = new DeploymentNotifier(config, registry, sender, publisher, metrics,
                kafkaClients);
        try {
            var preview = ((OutcomeEvent.PreviewCreated) EventCodec.outcome(created).orElseThrow()).preview();
            RelayEvent moved = RelayEvent.of("replica-" + number, "/test", Instant.now(),
                    new OutcomeEvent.PreviewUpdated(preview, null, "replica-trigger-" + number));
            replica.handle(new ConsumerRecord<>(Topics.DEPLOYMENTS, 0, 0L, app, EventCodec.encode(moved)));
            assertThat(awaitPost(moved.id()).body().path("root_id").asText()).isEqualTo(rootId);
        } finally {
            replica.close();
        }
    }

    @Test
    void aProductionDeploymentGetsItsOwnThreadWhileStagingGetsOnePost() throws Exception {
        String app = ownApp("prod");
        String sha = Fixtures.sha();
        RelayEvent production = awaitOutcome(OutcomeEvent.DeploymentCommitted.class,
                push(app, "github-push-tag", sha));
        Call root = awaitPost(production.id());
        assertThat(root.body().path("root_id").isMissingNode()).isTrue();
        assertThat(root.body().path("message").asText()).contains(":package: **" + app + "** `production` deployment"
                + " of", sha);
        assertThat(attachment(root)).contains("State: :white_check_mark: committed, waiting for the cluster",
                "[`" + sha.substring(0, 7) + "`](https://github.com/example/" + app + "/commit/" + sha + ")",
                "(`v1.4.0`)");
        assertThat(root.body().path("props").path("attachments").path(0).path("color").asText())
                .isEqualTo(Message.GREEN);

        RelayEvent staging = awaitOutcome(OutcomeEvent.DeploymentCommitted.class,
                push(app, "github-push-main", Fixtures.sha()));
        Call post = awaitPost(staging.id());
        assertThat(post.body().path("root_id").isMissingNode()).isTrue();
        assertThat(post.body().path("message").asText()).startsWith(":white_check_mark: **" + app
                + "** `staging` now runs");
    }

    @Test
    void anAppNamingItsChannelIsNotifiedThere() throws Exception {
        String channel = "chattychannel0000000000000";
        TestApps.onboard(config.dataDir(), registrySync, "chatty", "source: {repository: github.com/example/chatty}\n"
                + "image: {repository: registry.example.org/example/chatty}\n"
                + "environments: {}\npreviews: {pullRequests: true}\n"
                + "notifications: {mattermost: {channel-id: " + channel + "}}\n");
        int number = ThreadLocalRandom.current().nextInt(1000, 1_000_000);
        String opened = github("pull_request", Fixtures.pullRequest("opened", number, "feature/chat", Fixtures.sha(),
                false, Fixtures.nextPushTime()).replace("example/demo", "example/chatty")).statusCode(202).extract()
                .path("events[0]");
        RelayEvent created = awaitOutcome(OutcomeEvent.PreviewCreated.class, opened);
        Call root = awaitPost(created.id());
        assertThat(root.body().path("channel_id").asText()).isEqualTo(channel);
        assertThat(attachment(root)).contains("https://github.com/example/chatty/pull/" + number);
    }

    @Test
    void aRateLimitedPostWaitsAsAskedThenArrives() throws Exception {
        String app = ownApp("limited");
        standIn().thenAnswer(new Scripted(429, Map.of("Retry-After", "1", "X-Ratelimit-Remaining", "0",
                "X-Ratelimit-Reset", "1"), Duration.ZERO));
        double retriesBefore = retries("rate-limited");
        RelayEvent staging = awaitOutcome(OutcomeEvent.DeploymentCommitted.class,
                push(app, "github-push-main", Fixtures.sha()));
        Call post = awaitPost(staging.id());

        Call limited = callsOf(staging.id()).stream().filter(call -> call.status() == 429).reduce((a, b) -> b)
                .orElseThrow();
        assertThat(Duration.between(limited.at(), post.at())).isGreaterThanOrEqualTo(Duration.ofMillis(900));
        assertThat(retries("rate-limited")).isGreaterThan(retriesBefore);
    }

    @Test
    void aMattermostThatFailsAndHangsNeverHoldsUpADeploymentAndItsNotificationsAreDeadLetteredThenReplayed()
            throws Exception {
        // Every call hangs past the client's 1 s time-out, then fails.
        String app = ownApp("hung");
        standIn().alwaysAnswer(new Scripted(500, Map.of(), Duration.ofSeconds(3)));
        String firstSha = Fixtures.sha();
        String first = push(app, "github-push-main", firstSha);
        RelayEvent firstDeployed = awaitOutcome(OutcomeEvent.DeploymentCommitted.class, first);
        String second = push(app, "github-push-main", Fixtures.sha());
        RelayEvent secondDeployed = awaitOutcome(OutcomeEvent.DeploymentCommitted.class, second);

        // Both deployments are committed while the notifier is still stuck on the first notification.
        assertThat(deadLetters.drain(Duration.ofMillis(1))).noneMatch(r -> r.value().contains(firstDeployed.id()));
        assertThat(consumerLag.lag("gitops-relay-notifier", Topics.DEPLOYMENTS)).as("the stuck notifier's lag")
                .isGreaterThanOrEqualTo(2);
        assertThat(standIn().postsOf(firstDeployed.id())).isEmpty();
        assertThat(standIn().postsOf(secondDeployed.id())).isEmpty();
        var secondData = (OutcomeEvent.DeploymentCommitted) EventCodec.outcome(secondDeployed).orElseThrow();
        assertThat(secondData.timings().totalMillis()).isLessThan(10_000);

        ConsumerRecord<String, String> letter = deadLetters.await(r -> r.value().contains(firstDeployed.id()), WAIT);
        assertThat(header(letter, "dead-letter-topic")).isEqualTo(Topics.NOTIFIER_REPLAY);
        assertThat(header(letter, "dead-letter-reason")).startsWith("notification-undelivered: Mattermost did not"
                + " take the post to channel " + MattermostApiEnvironment.CHANNEL + " after 3 attempt(s), last: ");
        assertThat(retries("timeout")).isPositive();

        deadLetters.await(r -> r.value().contains(secondDeployed.id()), WAIT);
        standIn().recover();
        // The replay sends back every pending dead letter, other tests' too: only this test's are looked for.
        given().header("Authorization", "Bearer " + RelayTestEnvironment.API_TOKEN)
                .post("/api/dead-letters/replay").then().statusCode(200)
                .body("records.eventId", org.hamcrest.Matchers.hasItems(firstDeployed.id(), secondDeployed.id()));
        assertThat(awaitPost(firstDeployed.id()).body().path("message").asText()).contains(firstSha);
        awaitPost(secondDeployed.id());
    }

    @Test
    void aRefusedPostIsDeadLetteredAtOnce() throws Exception {
        String app = ownApp("refused");
        standIn().thenAnswer(new Scripted(403, Map.of(), Duration.ZERO));
        RelayEvent staging = awaitOutcome(OutcomeEvent.DeploymentCommitted.class,
                push(app, "github-push-main", Fixtures.sha()));
        ConsumerRecord<String, String> letter = deadLetters.await(r -> r.value().contains(staging.id()), WAIT);
        assertThat(header(letter, "dead-letter-reason")).startsWith("notification-refused: Mattermost refused the"
                + " post to channel " + MattermostApiEnvironment.CHANNEL + ": HTTP 403");
        assertThat(callsOf(staging.id())).extracting(Call::status).containsExactly(403);
    }

    @Test
    void anAnswerThatIsNotAPostIsDeadLetteredNotLost() throws Exception {
        String app = ownApp("proxied");
        // A login proxy in front of Mattermost answers 200 with a page.
        standIn().thenAnswer(new Scripted(200, Map.of("Content-Type", "text/html"), Duration.ZERO,
                "<html><body>Sign in</body></html>"));
        RelayEvent staging = awaitOutcome(OutcomeEvent.DeploymentCommitted.class,
                push(app, "github-push-main", Fixtures.sha()));
        ConsumerRecord<String, String> letter = deadLetters.await(r -> r.value().contains(staging.id()), WAIT);
        assertThat(header(letter, "dead-letter-reason")).startsWith("notification-refused: Mattermost answered the"
                + " post to channel " + MattermostApiEnvironment.CHANNEL + " with something that is not a post"
                + " (HTTP 200, text/html)");
    }

    @Test
    void aPreviewEventWithoutItsPreviewIsDeadLetteredAsUnreadable() throws Exception {
        String app = ownApp("crafted");
        RelayEvent crafted = RelayEvent.of("crafted-" + ThreadLocalRandom.current().nextInt(), "/test",
                org.gitopsrelay.event.EventTypes.PREVIEW_CREATED, app, Instant.now(),
                EventCodec.JSON.createObjectNode().put("url", "https://old.shape.example"));
        publisher.publish(Topics.DEPLOYMENTS, crafted);
        ConsumerRecord<String, String> letter = deadLetters.await(r -> r.value().contains(crafted.id()), WAIT);
        assertThat(header(letter, "dead-letter-reason")).startsWith("unreadable-event: event " + crafted.id()
                + " of type relay.preview.created lacks the app it is about");
    }

    private double retries(String reason) {
        var counter = metrics.find("relay.notification.retries").tag("sink", "mattermost-api").tag("reason", reason)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    private static String header(ConsumerRecord<String, String> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }
}
