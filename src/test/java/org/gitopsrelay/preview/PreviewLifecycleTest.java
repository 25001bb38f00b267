package org.gitopsrelay.preview;

import static org.assertj.core.api.Assertions.assertThat;
import static org.gitopsrelay.testing.GitCli.git;
import static org.gitopsrelay.testing.Webhooks.github;
import static org.hamcrest.Matchers.equalTo;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.inject.Inject;

import org.gitopsrelay.app.AppRegistry;
import org.gitopsrelay.app.RegistrySync;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.EventTypes;
import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.event.OutcomeEvent.PreviewCreated;
import org.gitopsrelay.event.OutcomeEvent.PreviewDeleted;
import org.gitopsrelay.event.OutcomeEvent.PreviewRefused;
import org.gitopsrelay.event.OutcomeEvent.PreviewUpdated;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.SourceRepo;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.pipeline.GitEventHandlers;
import org.gitopsrelay.testing.EventsDoc;
import org.gitopsrelay.testing.Fixtures;
import org.gitopsrelay.testing.RelayTestEnvironment;
import org.gitopsrelay.testing.TestApps;
import org.gitopsrelay.testing.TopicReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** Pull request previews, opened, moved and closed through the real broker, real Git and real Kustomize. */
@QuarkusTest
@QuarkusTestResource(RelayTestEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PreviewLifecycleTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    RelayConfig config;

    @Inject
    RegistrySync registrySync;

    @Inject
    SweepExpiredPreviews sweep;

    @Inject
    AppRegistry registry;

    @Inject
    GitEventHandlers handlers;

    @Inject
    io.micrometer.core.instrument.MeterRegistry meters;

    private TopicReader deployments;

    @BeforeAll
    void read() {
        deployments = new TopicReader(Topics.DEPLOYMENTS);
    }

    @AfterAll
    void close() {
        EventsDoc.checkAgainstRealRecords(deployments.drain(Duration.ZERO));
        deployments.close();
    }

    private static int newNumber() {
        return ThreadLocalRandom.current().nextInt(1000, 1_000_000);
    }

    private static String pullRequest(String action, int number, String branch, String sha, boolean merged) {
        return pullRequest(action, number, branch, sha, merged, Fixtures.nextPushTime());
    }

    private static String pullRequestAt(String action, int number, String branch, String sha, long updatedAt) {
        return pullRequest(action, number, branch, sha, false, updatedAt);
    }

    private static String pullRequest(String action, int number, String branch, String sha, boolean merged,
            long updatedAt) {
        return Fixtures.pullRequest(action, number, branch, sha, merged, updatedAt);
    }

    private <T extends OutcomeEvent> T await(Class<T> type, String triggerEvent) {
        return deployments.awaitOutcomeData(type, triggerEvent, WAIT);
    }

    private Path freshClone() {
        return TestApps.freshClone(config.dataDir());
    }

    /** An app of the test's own, laid out as the demo app is: no other test's previews or pushes reach it. */
    private String ownApp(String prefix) throws Exception {
        return TestApps.onboardLikeDemo(config.dataDir(), registrySync, prefix);
    }

    /** Delivers a pull request event of {@code app}'s repository (a body of the fixtures); returns its event id. */
    private static String deliver(String app, String body) {
        return github("pull_request", TestApps.forApp(app, body)).statusCode(202).extract().path("events[0]");
    }

    private static String kustomize(Path dir) throws Exception {
        Process process = new ProcessBuilder("kubectl", "kustomize", dir.toString()).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(out).isZero();
        return out;
    }

    @Test
    void aPullRequestOpensMovesAndClosesItsPreview() throws Exception {
        String app = TestApps.onboardLikeDemo(config.dataDir(), registrySync, "pr");
        int number = newNumber();
        String first = Fixtures.sha();
        String opened = github("pull_request", TestApps.forApp(app, pullRequest("opened", number, "feature/login", first, false)))
                .statusCode(202).extract().path("events[0]");

        PreviewCreated created = await(PreviewCreated.class, opened);
        String slug = "pr-" + number;
        assertThat(created.preview().url()).isEqualTo("https://" + slug + "." + app + ".preview.localhost");
        assertThat(created.preview().namespace()).isEqualTo(app + "-" + slug);
        assertThat(created.preview().pullRequest()).isEqualTo(number);
        assertThat(created.preview().branch()).isEqualTo("feature/login");
        assertThat(created.preview().author()).isEqualTo("bob");
        Path clone = freshClone();
        String rendered = kustomize(clone.resolve("apps/" + app + "/previews/" + slug));
        assertThat(rendered).contains("namespace: " + app + "-" + slug, "host: " + slug + "." + app + ".preview.localhost",
                "image: registry.example.org/example/" + app + ":" + first, "kind: ResourceQuota", "kind: LimitRange",
                "kind: Namespace\nmetadata:\n  annotations:",
                "replicas: 1", "gitops-relay.io/branch: feature/login", "gitops-relay.io/author: bob",
                "gitops-relay.io/head-commit: " + first, "gitops-relay.io/pull-request: \"" + number + "\"",
                "gitops-relay.io/expires-at:").doesNotContain("HorizontalPodAutoscaler", "PodDisruptionBudget");

        String second = Fixtures.sha();
        String synced = github("pull_request", TestApps.forApp(app, pullRequest("synchronize", number, "feature/login", second, false)))
                .statusCode(202).extract().path("events[0]");
        PreviewUpdated updated = await(PreviewUpdated.class, synced);
        assertThat(updated.preview().image()).isEqualTo("registry.example.org/example/" + app + ":" + second);
        assertThat(updated.preview().createdAt()).isEqualTo(created.preview().createdAt());

        String closed = github("pull_request", TestApps.forApp(app, pullRequest("closed", number, "feature/login", second, true)))
                .statusCode(202).extract().path("events[0]");
        PreviewDeleted deleted = await(PreviewDeleted.class, closed);
        assertThat(deleted.reason()).isEqualTo("pull request #" + number + " merged");
        Path after = freshClone();
        assertThat(after.resolve("apps/" + app + "/previews/" + slug)).doesNotExist();
        assertThat(git(after, "show", "--name-only", "--format=%s", "HEAD"))
                .startsWith("Close preview " + slug + " of " + app)
                .contains("apps/" + app + "/previews/" + slug + "/kustomization.yaml").doesNotContain("envs/");
    }

    /** A pull request event as ingest writes it to relay.git-events, for handing to the handlers as a batch. */
    private static RelayEvent pullRequestEvent(String app, String action, int number, String sha, long updatedAt) {
        GitChange.PullRequest pr = new GitChange.PullRequest(SourceRepo.parse("github.com/example/" + app), action,
                number, "Login", "bob", "feature/batch", sha, "main", false, false,
                "https://github.com/example/" + app + "/pull/" + number, java.time.Instant.ofEpochSecond(updatedAt));
        return RelayEvent.of(UUID.randomUUID().toString(), "/webhooks/github", EventTypes.GIT_PULL_REQUEST, app,
                java.time.Instant.now(), EventCodec.toData(pr));
    }

    /** A pull request of an app of the test's own, its preview opened at {@code head}. */
    private record OpenPullRequest(String app, int number, String head) {
        String slug() {
            return "pr-" + number;
        }
    }

    private OpenPullRequest openPullRequestOfItsOwnApp(String prefix) throws Exception {
        String app = TestApps.onboardLikeDemo(config.dataDir(), registrySync, prefix);
        int number = newNumber();
        String head = Fixtures.sha();
        await(PreviewCreated.class, github("pull_request", TestApps.forApp(app, pullRequest("opened", number,
                "feature/" + prefix, head, false))).statusCode(202).extract().path("events[0]"));
        return new OpenPullRequest(app, number, head);
    }

    /** A push to {@code elsewhere} at {@code time}, then a force-push back to the preview's head a second later. */
    private record AwayAndBack(RelayEvent away, RelayEvent back, String elsewhere, long time) {
    }

    private static AwayAndBack awayAndBack(OpenPullRequest pr) {
        long t = Fixtures.nextPushTime();
        String elsewhere = Fixtures.sha();
        return new AwayAndBack(pullRequestEvent(pr.app(), "synchronize", pr.number(), elsewhere, t),
                pullRequestEvent(pr.app(), "synchronize", pr.number(), pr.head(), t + 1), elsewhere, t);
    }

    @Test
    void updatesOfOnePullRequestInABatchBecomeOneCommitOfTheNewestThatNamesThemAll() throws Exception {
        OpenPullRequest pr = openPullRequestOfItsOwnApp("batch");
        String app = pr.app();
        int number = pr.number();
        String slug = pr.slug();
        String before = git(freshClone(), "rev-parse", "HEAD").trim();
        long t = Fixtures.nextPushTime();
        String newest = Fixtures.sha();
        // The second update was delivered late: the newest is the one with the latest activity, not the last.
        RelayEvent first = pullRequestEvent(app, "synchronize", number, Fixtures.sha(), t);
        RelayEvent third = pullRequestEvent(app, "synchronize", number, newest, t + 2);
        RelayEvent second = pullRequestEvent(app, "synchronize", number, Fixtures.sha(), t + 1);
        double superseded = registryCount("superseded");

        List<GitEventHandlers.Handled> handled = handlers.handleAll(List.of(first, third, second));

        assertThat(handled).allMatch(GitEventHandlers.Handled.Done.class::isInstance);
        PreviewUpdated updated = await(PreviewUpdated.class, third.id());
        assertThat(updated.preview().headCommit()).isEqualTo(newest);
        Path clone = freshClone();
        assertThat(git(clone, "rev-list", "--count", before + "..HEAD", "--", "apps/" + app).trim()).isEqualTo("1");
        assertThat(git(clone, "log", "-1", "--format=%B", "--", "apps/" + app))
                .startsWith("Update preview " + slug + " of " + app)
                .contains("Supersedes: 2 older updates", "Relay-Event: " + third.id(), "Relay-Event: " + first.id(),
                        "Relay-Event: " + second.id());
        assertThat(registryCount("superseded") - superseded).isEqualTo(2.0);
        assertThat(deployments.drain(Duration.ofSeconds(1))).as("no outcome published for a superseded update")
                .noneMatch(record -> record.value().contains(first.id()) || record.value().contains(second.id()));

        // Delivered again on its own (a redelivery), an update the batch superseded changes nothing.
        assertThat(handlers.handleAll(List.of(second))).allMatch(GitEventHandlers.Handled.Done.class::isInstance);
        assertThat(git(freshClone(), "rev-list", "--count", before + "..HEAD", "--", "apps/" + app).trim())
                .isEqualTo("1");
    }

    @Test
    void aBatchThatEndsWhereThePreviewIsStillRecordsItsUpdatesSoALateOneCannotMoveItBack() throws Exception {
        OpenPullRequest pr = openPullRequestOfItsOwnApp("back");
        String app = pr.app();
        String slug = pr.slug();
        String head = pr.head();
        AwayAndBack pushes = awayAndBack(pr);
        long t = pushes.time();
        String elsewhere = pushes.elsewhere();
        // A push, then a force-push back to the head the preview shows, taken in one batch.
        RelayEvent away = pushes.away();
        RelayEvent back = pushes.back();

        assertThat(handlers.handleAll(List.of(away, back))).allMatch(GitEventHandlers.Handled.Done.class::isInstance);

        PreviewUpdated updated = await(PreviewUpdated.class, back.id());
        assertThat(updated.preview().headCommit()).isEqualTo(head);
        assertThat(updated.preview().updatedAt()).isEqualTo(java.time.Instant.ofEpochSecond(t + 1));
        Path remote = config.dataDir().resolve("gitops.git");
        assertThat(git(remote, "log", "-1", "--format=%B", "main", "--", "apps/" + app))
                .contains("Relay-Event: " + back.id(), "Relay-Event: " + away.id());

        // Delivered again later (a redelivery, a replay), the update the batch superseded changes nothing, and
        // neither does the whole batch delivered again.
        String commits = git(remote, "rev-list", "--count", "main", "--", "apps/" + app).trim();
        assertThat(handlers.handleAll(List.of(away))).allMatch(GitEventHandlers.Handled.Done.class::isInstance);
        assertThat(handlers.handleAll(List.of(away, back))).allMatch(GitEventHandlers.Handled.Done.class::isInstance);
        assertThat(git(remote, "show", "main:apps/" + app + "/previews/" + slug + "/kustomization.yaml"))
                .contains(head).doesNotContain(elsewhere);
        assertThat(git(remote, "rev-list", "--count", "main", "--", "apps/" + app).trim()).isEqualTo(commits);
    }

    @Test
    void anUpdateBackToTheHeadThePreviewShowsIsRecordedSoAnOlderOneDeliveredAfterItChangesNothing() throws Exception {
        OpenPullRequest pr = openPullRequestOfItsOwnApp("order");
        String app = pr.app();
        String slug = pr.slug();
        String head = pr.head();
        AwayAndBack pushes = awayAndBack(pr);
        long t = pushes.time();
        String elsewhere = pushes.elsewhere();
        // A push to elsewhere, then a force-push back; the deliveries arrive in the other order, one batch each.
        RelayEvent away = pushes.away();
        RelayEvent back = pushes.back();

        assertThat(handlers.handleAll(List.of(back))).allMatch(GitEventHandlers.Handled.Done.class::isInstance);
        assertThat(await(PreviewUpdated.class, back.id()).preview().updatedAt())
                .isEqualTo(java.time.Instant.ofEpochSecond(t + 1));
        assertThat(handlers.handleAll(List.of(away))).allMatch(GitEventHandlers.Handled.Done.class::isInstance);

        assertThat(git(config.dataDir().resolve("gitops.git"), "show",
                "main:apps/" + app + "/previews/" + slug + "/kustomization.yaml")).contains(head)
                .doesNotContain(elsewhere);
    }

    private double registryCount(String outcome) {
        return meters.find(org.gitopsrelay.shared.RelayMetrics.EVENTS_HANDLED).tag("outcome", outcome).counters()
                .stream().mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
    }

    @Test
    void aRedeliveredOpeningMakesNoSecondCommit() throws Exception {
        String app = ownApp("redeliver");
        int number = newNumber();
        String body = TestApps.forApp(app, pullRequest("opened", number, "feature/x", Fixtures.sha(), false));
        String delivery = UUID.randomUUID().toString();
        String opened = github("pull_request", body, delivery).statusCode(202).extract().path("events[0]");
        String commit = await(PreviewCreated.class, opened).gitopsCommit();

        github("pull_request", body, delivery).statusCode(202);
        github("pull_request", body).statusCode(202);
        String marker = deliver(app, pullRequest("opened", newNumber(), "feature/y", Fixtures.sha(), false));
        String markerCommit = await(PreviewCreated.class, marker).gitopsCommit();

        // Events of one app are handled in order, and no commit of this app came between the opening and the
        // marker's: neither delivery of the same opening again committed anything.
        assertThat(git(config.dataDir().resolve("gitops.git"), "log", "--format=%H", commit + ".." + markerCommit,
                "--", "apps/" + app).trim()).isEqualTo(markerCommit);
    }

    @Test
    void aRedeliveredPreviewEventIsPublishedAgainUnderItsIdAsItWasThen() throws Exception {
        // An attempt that committed but died before publishing looks, to the next attempt, like this redelivery.
        String app = ownApp("republish");
        int number = newNumber();
        String sha = Fixtures.sha();
        String openBody = TestApps.forApp(app, pullRequest("opened", number, "feature/again", sha, false));
        String openDelivery = UUID.randomUUID().toString();
        RelayEvent created = deployments.awaitOutcome(PreviewCreated.class,
                github("pull_request", openBody, openDelivery).statusCode(202).extract().path("events[0]"), WAIT);
        github("pull_request", openBody, openDelivery).statusCode(202);
        String closeBody = TestApps.forApp(app, pullRequest("closed", number, "feature/again", sha, true));
        String closeDelivery = UUID.randomUUID().toString();
        RelayEvent deleted = deployments.awaitOutcome(PreviewDeleted.class,
                github("pull_request", closeBody, closeDelivery).statusCode(202).extract().path("events[0]"), WAIT);
        github("pull_request", closeBody, closeDelivery).statusCode(202);
        // Events of one app are handled in order: once this one is out, so are the redeliveries' before it.
        await(PreviewCreated.class, deliver(app, pullRequest("opened", newNumber(), "feature/marker", Fixtures.sha(),
                false)));

        for (RelayEvent original : List.of(created, deleted)) {
            List<RelayEvent> published = deployments.drain(Duration.ZERO).stream()
                    .map(record -> EventCodec.decode(record.value())).filter(event -> event.id().equals(original.id()))
                    .toList();
            assertThat(published).hasSize(2);
            assertThat(published.get(1).type()).isEqualTo(original.type());
            assertThat(published.get(1).data()).isEqualTo(original.data());
        }
    }

    @Test
    void aHostileBranchNameStaysTextInAnAnnotation() throws Exception {
        String app = ownApp("hostile");
        int number = newNumber();
        String hostile = "../../envs/production\nnamespace: kube-system";
        String opened = deliver(app, pullRequest("opened", number, hostile, Fixtures.sha(), false));

        PreviewCreated created = await(PreviewCreated.class, opened);

        assertThat(created.preview().branch()).isEqualTo(hostile);
        Path clone = freshClone();
        String rendered = kustomize(clone.resolve("apps/" + app + "/previews/pr-" + number));
        try (var docs = new com.fasterxml.jackson.databind.ObjectMapper(
                new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readerFor(JsonNode.class).readValues(rendered)) {
            int objects = 0;
            while (docs.hasNextValue()) {
                JsonNode object = (JsonNode) docs.nextValue();
                boolean namespace = object.path("kind").asText().equals("Namespace");
                assertThat(object.path("metadata").path(namespace ? "name" : "namespace").asText())
                        .isEqualTo(app + "-pr-" + number);
                if (namespace) {
                    assertThat(object.path("metadata").path("annotations").path("gitops-relay.io/branch").asText())
                            .isEqualTo(hostile);
                } else {
                    // Only the Namespace describes the preview: pod templates stay the same from commit to commit.
                    assertThat(object.toString()).doesNotContain("gitops-relay.io/head-commit");
                }
                objects++;
            }
            assertThat(objects).isGreaterThanOrEqualTo(5);
        }
        // The preview's own commit, not HEAD: another app's commit may have come after it. Wide enough for the
        // whole path of an app with a longer name.
        assertThat(git(clone, "show", "--stat=200", "--format=", created.gitopsCommit()).trim())
                .startsWith("apps/" + app + "/previews/pr-" + number + "/kustomization.yaml");
    }

    @Test
    void aPullRequestFromAForkIsNotDeployed() throws Exception {
        String app = ownApp("fork");
        ObjectNode body = Fixtures.json("github-pull_request-opened-from-fork");
        body.put("number", newNumber());
        github("pull_request", TestApps.forApp(app, Fixtures.text(body))).statusCode(202).body("ignored",
                equalTo("pull request #" + body.get("number").asInt() + " comes from a fork: app " + app
                        + " does not deploy code from forks (previews.forks)"));
    }

    @Test
    void pastTheCapANewPreviewIsRefusedAndNothingIsCommitted() throws Exception {
        onboard("capped", """
                source: {repository: github.com/example/capped}
                image: {repository: registry.example.org/example/capped}
                environments: {}
                previews: {pullRequests: true, max: 2, domain: review.example.org}
                """);

        for (int i = 1; i <= 2; i++) {
            String id = github("pull_request", pullRequest("opened", i, "f" + i, Fixtures.sha(), false)
                    .replace("example/demo", "example/capped")).statusCode(202).extract().path("events[0]");
            assertThat(await(PreviewCreated.class, id).preview().url())
                    .isEqualTo("https://pr-" + i + ".capped.review.example.org");
        }
        String third = github("pull_request", pullRequest("opened", 3, "f3", Fixtures.sha(), false)
                .replace("example/demo", "example/capped")).statusCode(202).extract().path("events[0]");

        PreviewRefused refused = await(PreviewRefused.class, third);
        assertThat(refused.reason()).startsWith("app capped already has 2 live previews, its cap");
        assertThat(git(config.dataDir().resolve("gitops.git"), "ls-tree", "--name-only", "main:apps/capped/previews"))
                .isEqualTo("pr-1\npr-2\n");
    }

    @Test
    void anAppWhoseCopyOfThePreviewComponentPredatesItsNetworkPoliciesIsToldToCopyItAgain() throws Exception {
        Path clone = onboard("legacy", """
                source: {repository: github.com/example/legacy}
                image: {repository: registry.example.org/example/legacy}
                environments: {}
                previews: {pullRequests: true}
                """);
        // The component as it was before it had networkpolicy.yaml.
        Path component = clone.resolve("apps/legacy/components/preview");
        String kustomization = Files.readString(component.resolve("kustomization.yaml"));
        String outdated = kustomization.replace("  - networkpolicy.yaml\n", "");
        assertThat(outdated).isNotEqualTo(kustomization);
        Files.writeString(component.resolve("kustomization.yaml"), outdated);
        Files.delete(component.resolve("networkpolicy.yaml"));
        git(clone, "commit", "-qam", "The preview component of an app onboarded long ago");
        TestApps.push(clone);

        String opened = github("pull_request", pullRequest("opened", 1, "feature/open", Fixtures.sha(), false)
                .replace("example/demo", "example/legacy")).statusCode(202).extract().path("events[0]");

        PreviewRefused refused = await(PreviewRefused.class, opened);
        assertThat(refused.reason()).contains("has no default-deny NetworkPolicy", "copy"
                + " kustomize-base/components/preview (and preview-database) into apps/legacy/components/ again");
        assertThat(git(config.dataDir().resolve("gitops.git"), "ls-tree", "-r", "--name-only", "main", "apps/legacy"))
                .doesNotContain("previews/");
    }

    @Test
    void aPreviewWithoutActivityExpiresAtItsTtlAndTheSweepRemovesIt() throws Exception {
        String app = ownApp("idle");
        int number = newNumber();
        String opened = deliver(app, pullRequest("opened", number, "feature/idle", Fixtures.sha(), false));
        PreviewCreated created = await(PreviewCreated.class, opened);
        java.time.Instant expiresAt = created.preview().expiresAt();
        assertThat(expiresAt).isEqualTo(created.preview().createdAt().plus(Duration.ofDays(7)));
        String folder = "apps/" + app + "/previews/pr-" + number;

        assertThat(sweep.sweep(expiresAt.minusSeconds(60))).doesNotContain(folder);
        assertThat(sweep.sweep(expiresAt.plusSeconds(1))).contains(folder);

        var expired = (OutcomeEvent.PreviewExpired) EventCodec.outcome(EventCodec.decode(deployments.await(r -> {
            OutcomeEvent event = EventCodec.outcome(EventCodec.decode(r.value())).orElse(null);
            return event instanceof OutcomeEvent.PreviewExpired e && app.equals(e.preview().app())
                    && ("pr-" + number).equals(e.preview().slug());
        }, WAIT).value())).orElseThrow();
        assertThat(expired.reason()).startsWith("expired at " + expiresAt);
        assertThat(git(config.dataDir().resolve("gitops.git"), "ls-tree", "-r", "--name-only", "main", "apps/" + app))
                .doesNotContain("previews/pr-" + number + "/");
    }

    @Test
    void theApiListsLivePreviewsToBearersOfTheToken() throws Exception {
        String app = ownApp("api");
        int number = newNumber();
        String sha = Fixtures.sha();
        String opened = deliver(app, pullRequest("opened", number, "feature/api", sha, false));
        await(PreviewCreated.class, opened);

        io.restassured.RestAssured.get("/api/previews").then().statusCode(401)
                .body("error", equalTo("An Authorization: Bearer header is required"));
        io.restassured.RestAssured.given().header("Authorization", "Bearer wrong").get("/api/previews").then()
                .statusCode(401);
        io.restassured.RestAssured.given().header("Authorization", "Bearer " + RelayTestEnvironment.API_TOKEN)
                .get("/api/previews/" + app).then().statusCode(200)
                .body("find { it.slug == 'pr-" + number + "' }.url", equalTo("https://pr-" + number + "." + app
                        + ".preview.localhost"))
                .body("find { it.slug == 'pr-" + number + "' }.pullRequest", equalTo(number))
                .body("find { it.slug == 'pr-" + number + "' }.branch", equalTo("feature/api"))
                .body("find { it.slug == 'pr-" + number + "' }.author", equalTo("bob"))
                .body("find { it.slug == 'pr-" + number + "' }.headCommit", equalTo(sha))
                .body("find { it.slug == 'pr-" + number + "' }.ageSeconds", org.hamcrest.Matchers.greaterThanOrEqualTo(0))
                .body("find { it.slug == 'pr-" + number + "' }.expiresAt", org.hamcrest.Matchers.notNullValue());
        io.restassured.RestAssured.given().header("Authorization", "Bearer " + RelayTestEnvironment.API_TOKEN)
                .get("/api/previews").then().statusCode(200)
                .body("slug", org.hamcrest.Matchers.hasItem("pr-" + number));
        io.restassured.RestAssured.given().header("Authorization", "Bearer " + RelayTestEnvironment.API_TOKEN)
                .get("/api/previews/no-such-app").then().statusCode(404)
                .body("error", equalTo("No app named 'no-such-app' is registered"));
    }

    @Test
    void aBranchMatchingThePatternGetsAPreviewOnPushAndLosesItOnDelete() throws Exception {
        onboard("branchy", """
                source: {repository: github.com/example/branchy}
                image: {repository: registry.example.org/example/branchy}
                environments: {}
                previews: {branches: "feature/*"}
                """);
        String sha = Fixtures.sha();

        String pushed = github("push", Fixtures.text(Fixtures.push("github-push-feature-branch", sha, Fixtures.nextPushTime())).replace("example/demo", "example/branchy")).statusCode(202).extract()
                .path("events[0]");
        PreviewCreated created = await(PreviewCreated.class, pushed);
        String slug = PreviewSlug.forBranch("branchy", "feature/login");
        assertThat(created.preview().slug()).isEqualTo(slug);
        assertThat(created.preview().kind()).isEqualTo("branch");
        assertThat(created.preview().headCommit()).isEqualTo(sha);

        // The signed push with "deleted": true closes it (GitHub's delete event, whose name is unsigned, does not).
        ObjectNode deletion = Fixtures.json("github-push-branch-deleted");
        ((ObjectNode) deletion.get("repository")).put("pushed_at", Fixtures.nextPushTime());
        deletion.put("before", sha);
        String deleted = github("push", Fixtures.text(deletion).replace("example/demo", "example/branchy"))
                .statusCode(202).extract().path("events[0]");
        assertThat(await(PreviewDeleted.class, deleted).reason()).isEqualTo("branch deleted");
        assertThat(git(config.dataDir().resolve("gitops.git"), "ls-tree", "-r", "--name-only", "main", "apps/branchy"))
                .doesNotContain("previews/");
    }

    @Test
    void anAppThatOptsInToForksPreviewsThemWithoutAnySecret() throws Exception {
        Path clone = onboard("open", "source: {repository: github.com/example/open}\n"
                + "image: {repository: registry.example.org/example/open}\n" + "environments: {}\n"
                + "previews: {pullRequests: true, forks: true}\n");
        Path app = clone.resolve("apps/open");
        ObjectNode fork = Fixtures.json("github-pull_request-opened-from-fork");
        fork.put("number", 5);
        String clean = github("pull_request", Fixtures.text(fork).replace("example/demo", "example/open"))
                .statusCode(202).extract().path("events[0]");
        assertThat(await(PreviewCreated.class, clean).preview().url())
                .isEqualTo("https://pr-5.open.preview.localhost");

        // The base now reads a database password from a Secret: a fork's preview must not get it.
        git(clone, "pull", "-q", "--rebase", "origin", "main");
        String deployment = Files.readString(app.resolve("base/deployment.yaml"));
        String withSecret = deployment.replace("              value: \"8080\"\n", "              value: \"8080\"\n"
                + "            - name: DB_PASSWORD\n"
                + "              valueFrom:\n"
                + "                secretKeyRef: {name: db, key: password}\n");
        assertThat(withSecret).isNotEqualTo(deployment);
        Files.writeString(app.resolve("base/deployment.yaml"), withSecret);
        git(clone, "commit", "-qam", "Read the database password");
        git(clone, "push", "-q", "origin", "HEAD:main");
        fork.put("number", 6);
        String leaky = github("pull_request", Fixtures.text(fork).replace("example/demo", "example/open"))
                .statusCode(202).extract().path("events[0]");

        PreviewRefused refused = await(PreviewRefused.class, leaky);
        assertThat(refused.reason()).contains("refers to a secret at", "secretKeyRef",
                "(code from a fork gets no secrets)");
        assertThat(git(config.dataDir().resolve("gitops.git"), "ls-tree", "-r", "--name-only", "main", "apps/open"))
                .contains("previews/pr-5/").doesNotContain("previews/pr-6/");
    }

    @Test
    void aPullRequestClosedBeforeItsOpeningArrivedStaysClosedUntilReopened() throws Exception {
        String app = ownApp("late");
        int number = newNumber();
        String branch = "feature/late";
        long openedAt = Fixtures.nextPushTime();
        String closed = deliver(app, pullRequest("closed", number, branch, Fixtures.sha(), false));
        String lateOpening = deliver(app, pullRequestAt("opened", number, branch, Fixtures.sha(), openedAt));
        String marker = deliver(app, pullRequest("opened", newNumber(), "feature/z", Fixtures.sha(), false));
        await(PreviewCreated.class, marker);

        assertThat(closed).isNotEqualTo(lateOpening);
        Path remote = config.dataDir().resolve("gitops.git");
        assertThat(git(remote, "ls-tree", "-r", "--name-only", "main", "apps/" + app))
                .doesNotContain("pr-" + number + "/");
        assertThat(git(remote, "show", "main:apps/" + app + "/previews-closed.yaml")).contains("pr-" + number + ":");

        String reopened = deliver(app, pullRequest("reopened", number, branch, Fixtures.sha(), false));
        assertThat(await(PreviewCreated.class, reopened).preview().slug()).isEqualTo("pr-" + number);
        assertThat(git(remote, "show", "main:apps/" + app + "/previews-closed.yaml"))
                .doesNotContain("pr-" + number + ":");
    }

    @Test
    void anAppWithADatabaseGivesEachPreviewItsOwnSeededFromStagingButNotToForks() throws Exception {
        onboard("withdb", "source: {repository: github.com/example/withdb}\n"
                + "image: {repository: registry.example.org/example/withdb}\n" + "environments: {}\n"
                + "previews: {pullRequests: true, forks: true}\n" + "database: {engine: postgresql, backups: /backups/withdb}\n");

        String opened = github("pull_request", pullRequest("opened", 8, "feature/db", Fixtures.sha(), false)
                .replace("example/demo", "example/withdb")).statusCode(202).extract().path("events[0]");
        await(PreviewCreated.class, opened);
        ObjectNode fork = Fixtures.json("github-pull_request-opened-from-fork");
        fork.put("number", 9);
        String forked = github("pull_request", Fixtures.text(fork).replace("example/demo", "example/withdb"))
                .statusCode(202).extract().path("events[0]");
        await(PreviewCreated.class, forked);

        Path after = freshClone();
        String trusted = kustomize(after.resolve("apps/withdb/previews/pr-8"));
        assertThat(trusted).contains("kind: StatefulSet", "name: db-seed", "name: wait-for-database",
                "value: postgresql://app@db:5432/app", "name: web-egress", "name: BACKUP_SOURCE\n          value: /backups/withdb");
        String untrusted = kustomize(after.resolve("apps/withdb/previews/pr-9"));
        assertThat(untrusted).contains("kind: StatefulSet", "name: BACKUP_SOURCE\n          value: \"\"")
                .doesNotContain("/backups/withdb");
    }

    @Test
    void aClosingOlderThanThePreviewsLastActivityRemovesNothing() throws Exception {
        String app = ownApp("busy");
        int number = newNumber();
        long earlier = Fixtures.nextPushTime();
        String opened = deliver(app, pullRequest("opened", number, "feature/busy", Fixtures.sha(), false));
        await(PreviewCreated.class, opened);

        deliver(app, pullRequest("closed", number, "feature/busy", Fixtures.sha(), false, earlier));
        String marker = deliver(app, pullRequest("opened", newNumber(), "feature/m", Fixtures.sha(), false));
        await(PreviewCreated.class, marker);

        assertThat(git(config.dataDir().resolve("gitops.git"), "ls-tree", "-r", "--name-only", "main", "apps/" + app))
                .contains("previews/pr-" + number + "/");
    }

    @Test
    void previewsOfAnAppWhoseAppYamlBreaksAreStillClosedAndSwept() throws Exception {
        Path clone = onboard("orphan", """
                source: {repository: github.com/example/orphan}
                image: {repository: registry.example.org/example/orphan}
                environments: {}
                previews: {pullRequests: true}
                """);
        int closing = newNumber();
        int idle = closing + 1;
        await(PreviewCreated.class, github("pull_request", pullRequest("opened", closing, "feature/a", Fixtures.sha(),
                false).replace("example/demo", "example/orphan")).statusCode(202).extract().path("events[0]"));
        PreviewCreated idleOne = await(PreviewCreated.class, github("pull_request", pullRequest("opened", idle,
                "feature/b", Fixtures.sha(), false).replace("example/demo", "example/orphan")).statusCode(202)
                .extract().path("events[0]"));

        // A typo leaves the app out of the registry; its previews are still running.
        Files.writeString(clone.resolve("apps/orphan/app.yaml"), """
                source: {repository: github.com/example/orphan}
                image: {repo: registry.example.org/example/orphan}
                """);
        git(clone, "commit", "-qam", "Break orphan's app.yaml");
        TestApps.push(clone);
        registrySync.refresh();
        assertThat(registry.invalidApps()).containsKey("orphan");

        String closed = github("pull_request", pullRequest("closed", closing, "feature/a", Fixtures.sha(), true)
                .replace("example/demo", "example/orphan")).statusCode(202).extract().path("events[0]");
        PreviewDeleted deleted = await(PreviewDeleted.class, closed);
        assertThat(deleted.preview().slug()).isEqualTo("pr-" + closing);
        assertThat(deleted.reason()).contains("app orphan is not registered");

        String idleFolder = "apps/orphan/previews/pr-" + idle;
        assertThat(sweep.sweep(idleOne.preview().expiresAt().plusSeconds(1))).contains(idleFolder);
        assertThat(git(config.dataDir().resolve("gitops.git"), "ls-tree", "-r", "--name-only", "main",
                "apps/orphan")).doesNotContain("/previews/");
    }

    @Test
    void timesFromTheFutureStoredBeforeTheyWereClampedHoldNoPreviewOpenOrClosed() throws Exception {
        String app = ownApp("future");
        int number = newNumber();
        String slug = "pr-" + number;
        await(PreviewCreated.class, deliver(app, pullRequest("opened", number, "feature/future", Fixtures.sha(),
                false)));
        int closedLongAgo = newNumber();
        // What an older version could have written: an activity time and a closing time in 2100.
        Path clone = freshClone();
        Path overlay = clone.resolve("apps/" + app + "/previews/" + slug + "/kustomization.yaml");
        Files.writeString(overlay, org.gitopsrelay.gitops.KustomizationFile.parse(Files.readString(overlay))
                .annotation("updated-at", "2100-01-01T00:00:00Z").toYaml());
        Files.writeString(clone.resolve("apps/" + app + "/previews-closed.yaml"),
                "closed:\n  pr-" + closedLongAgo + ": \"2100-01-01T00:00:00Z\"\n");
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "Times from the future");
        TestApps.push(clone);

        PreviewDeleted deleted = await(PreviewDeleted.class, deliver(app, pullRequest("closed", number,
                "feature/future", Fixtures.sha(), true)));
        assertThat(deleted.preview().slug()).isEqualTo(slug);
        await(PreviewCreated.class, deliver(app, pullRequest("opened", closedLongAgo, "feature/again", Fixtures.sha(),
                false)));
    }

    /**
     * Registers an app in the GitOps repository, with the demo app's base and components and the given app.yaml,
     * as a team would in a commit of its own; returns the clone it was committed from.
     */
    private Path onboard(String name, String appYaml) throws Exception {
        return TestApps.onboard(config.dataDir(), registrySync, name, appYaml);
    }
}
