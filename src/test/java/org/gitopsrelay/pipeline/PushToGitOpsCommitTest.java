package org.gitopsrelay.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.gitopsrelay.testing.GitCli.git;
import static org.gitopsrelay.testing.Webhooks.github;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.gitopsrelay.app.AppRegistry;
import org.gitopsrelay.app.RegistrySync;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.EventTypes;
import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.SourceRepo;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.gitops.KustomizationFile;
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

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

/**
 * End to end on the real parts: a signed webhook over HTTP, the embedded Kafka broker, the handler, real Kustomize,
 * and a GitOps repository checked with the git command line in a fresh clone.
 */
@QuarkusTest
@QuarkusTestResource(RelayTestEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PushToGitOpsCommitTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    RelayConfig config;

    @Inject
    RegistrySync registrySync;

    @Inject
    AppRegistry registry;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    private TopicReader deployments;
    private TopicReader deadLetters;

    @BeforeAll
    void readTopics() {
        deployments = new TopicReader(Topics.DEPLOYMENTS);
        deadLetters = new TopicReader(Topics.DEAD_LETTER);
    }

    @AfterAll
    void closeReaders() {
        EventsDoc.checkAgainstRealRecords(deployments.drain(Duration.ZERO));
        deployments.close();
        deadLetters.close();
    }

    private Path remote() {
        return config.dataDir().resolve("gitops.git");
    }

    /** An app of this test's own, deployed as the demo app is: no other test's pushes reach it. */
    private String ownApp() throws Exception {
        return TestApps.onboardLikeDemo(config.dataDir(), registrySync, "push");
    }

    private String push(String app, String fixture, String sha, long pushedAt) {
        return github("push", TestApps.forApp(app, Fixtures.text(Fixtures.push(fixture, sha, pushedAt))))
                .statusCode(202).extract().path("events[0]");
    }

    /**
     * The value of one series of {@code /q/metrics}, 0 while it is not exported yet: a test compares it before and
     * after, since other tests of the same application count into it too.
     */
    private static double metric(String series) {
        return RestAssured.get("/q/metrics").asString().lines().filter(line -> line.startsWith(series + " "))
                // An exemplar may follow the value: "<series> 2.0 # {trace_id=...} 1.0 <time>".
                .mapToDouble(line -> Double.parseDouble(line.substring(series.length() + 1).split(" ")[0]))
                .findFirst().orElse(0);
    }

    private JsonNode awaitDeployment(String type, String triggerEvent) {
        ConsumerRecord<String, String> record = deployments.await(r -> {
            RelayEvent event = EventCodec.decode(r.value());
            return event.type().equals(type) && triggerEvent.equals(event.data().path("triggerEvent").asText());
        }, WAIT);
        RelayEvent event = EventCodec.decode(record.value());
        assertThat(record.key()).isEqualTo(event.app());
        return event.data();
    }

    private Path freshClone() {
        Path clone = config.dataDir().resolve("clone-" + UUID.randomUUID());
        git(config.dataDir(), "clone", "-q", remote().toUri().toString(), clone.toString());
        return clone;
    }

    @Test
    void aSignedPushBecomesACommitThatAFreshCloneShows() throws Exception {
        String app = ownApp();
        String sha = Fixtures.sha();
        String eventId = push(app, "github-push-main", sha, Fixtures.nextPushTime());

        JsonNode deployment = awaitDeployment(EventTypes.DEPLOYMENT_COMMITTED, eventId);

        Path clone = freshClone();
        assertThat(git(clone, "log", "-1", "--format=%H").trim()).isEqualTo(deployment.path("gitopsCommit").asText());
        assertThat(git(clone, "log", "-1", "--format=%an%n%B")).isEqualTo("gitops-relay\n"
                + "Deploy " + app + " staging: registry.example.org/example/" + app + ":" + sha + "\n\n"
                + "Source: github.com/example/" + app + "@" + sha + " (main)\n"
                + "Pushed by: alice\n\n"
                + "Relay-Event: " + eventId + "\n\n");
        assertThat(git(clone, "show", "--stat", "--format=", "HEAD").trim())
                .startsWith("apps/" + app + "/envs/staging/kustomization.yaml | ");
        String overlay = Files.readString(clone.resolve("apps/" + app + "/envs/staging/kustomization.yaml"));
        KustomizationFile parsed = KustomizationFile.parse(overlay);
        assertThat(parsed.imageTag("app-image")).contains(sha);
        assertThat(parsed.annotation("event")).contains(eventId);
        assertThat(deployment.path("app").asText()).isEqualTo(app);
        assertThat(deployment.path("environment").asText()).isEqualTo("staging");
        assertThat(deployment.path("image").asText()).isEqualTo("registry.example.org/example/" + app + ":" + sha);
        assertThat(deployment.path("sourceCommit").asText()).isEqualTo(sha);
        assertThat(deployment.path("pusher").asText()).isEqualTo("alice");
        assertThat(deployment.path("timings").path("attempts").asInt()).isEqualTo(1);
        assertThat(deployment.path("timings").path("totalMillis").asLong()).isPositive();
        // What Argo CD will apply, rendered as it renders it, runs the pushed image in the staging namespace.
        Process kustomize = new ProcessBuilder("kubectl", "kustomize", "apps/" + app + "/envs/staging")
                .directory(clone.toFile()).redirectErrorStream(true).start();
        String rendered = new String(kustomize.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(kustomize.waitFor()).as(rendered).isZero();
        assertThat(rendered).contains("image: registry.example.org/example/" + app + ":" + sha,
                "namespace: " + app + "-staging");
    }

    @Test
    void theSamePushDeliveredAgainMakesNoSecondCommit() throws Exception {
        String app = ownApp();
        String body = TestApps.forApp(app,
                Fixtures.text(Fixtures.push("github-push-main", Fixtures.sha(), Fixtures.nextPushTime())));
        String delivery = UUID.randomUUID().toString();
        String eventId = github("push", body, delivery).statusCode(202).extract().path("events[0]");
        String commit = awaitDeployment(EventTypes.DEPLOYMENT_COMMITTED, eventId).path("gitopsCommit").asText();

        String redelivered = github("push", body, delivery).statusCode(202).extract().path("events[0]");
        String newDelivery = github("push", body).statusCode(202).extract().path("events[0]");
        String marker = push(app, "github-push-main", Fixtures.sha(), Fixtures.nextPushTime());
        String markerCommit = awaitDeployment(EventTypes.DEPLOYMENT_COMMITTED, marker).path("gitopsCommit").asText();

        assertThat(redelivered).isEqualTo(eventId);
        assertThat(newDelivery).isNotEqualTo(eventId);
        // Events of one app are handled in order, and no commit of this app came between the first one and the
        // marker's: the new delivery of the same push committed nothing.
        assertThat(git(remote(), "log", "--format=%H", commit + ".." + markerCommit, "--",
                "apps/" + app).trim()).isEqualTo(markerCommit);
    }

    @Test
    void anOlderPushHandledAfterANewerOneNeverRollsBack() throws Exception {
        String app = ownApp();
        String older = Fixtures.sha();
        String newer = Fixtures.sha();
        long olderTime = Fixtures.nextPushTime();
        long newerTime = Fixtures.nextPushTime();
        String newerEvent = push(app, "github-push-main", newer, newerTime);
        String newerCommit = awaitDeployment(EventTypes.DEPLOYMENT_COMMITTED, newerEvent).path("gitopsCommit").asText();

        push(app, "github-push-main", older, olderTime);
        String marker = push(app, "github-push-main", Fixtures.sha(), Fixtures.nextPushTime());
        String markerCommit = awaitDeployment(EventTypes.DEPLOYMENT_COMMITTED, marker).path("gitopsCommit").asText();

        assertThat(git(remote(), "log", "--format=%H", newerCommit + ".." + markerCommit, "--", "apps/" + app).trim())
                .isEqualTo(markerCommit);
        assertThat(git(remote(), "log", "--format=%B", "main")).doesNotContain(older);
    }

    @Test
    void aTagPushDeploysProduction() throws Exception {
        String app = ownApp();
        String sha = Fixtures.sha();
        String eventId = push(app, "github-push-tag", sha, Fixtures.nextPushTime());

        JsonNode deployment = awaitDeployment(EventTypes.DEPLOYMENT_COMMITTED, eventId);

        assertThat(deployment.path("environment").asText()).isEqualTo("production");
        assertThat(deployment.path("sourceRef").asText()).isEqualTo("v1.4.0");
        KustomizationFile production = KustomizationFile.parse(
                git(remote(), "show", "main:apps/" + app + "/envs/production/kustomization.yaml"));
        assertThat(production.imageTag("app-image")).contains(sha);
        assertThat(production.annotation("source-ref")).contains("refs/tags/v1.4.0");
        assertThat(production.namespace()).contains(app + "-production");
    }

    @Test
    void aPushWithZeroCommitsDeploysTheCommitTheBranchNowPointsAt() throws Exception {
        String app = ownApp();
        String sha = Fixtures.sha();
        String eventId = push(app, "github-push-zero-commits", sha, Fixtures.nextPushTime());

        assertThat(awaitDeployment(EventTypes.DEPLOYMENT_COMMITTED, eventId).path("sourceCommit").asText())
                .isEqualTo(sha);
    }

    @Test
    void anOverlayThatDoesNotRenderCommitsNothingAndTheFailedEventSaysWhy() throws Exception {
        Path clone = freshClone();
        Files.createDirectories(clone.resolve("apps/broken/envs/staging"));
        Files.writeString(clone.resolve("apps/broken/app.yaml"), """
                source: {repository: github.com/example/broken}
                image: {repository: registry.example.org/example/broken}
                environments:
                  staging: {branch: main}
                """);
        Files.writeString(clone.resolve("apps/broken/envs/staging/kustomization.yaml"),
                "resources:\n  - does-not-exist.yaml\n");
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "Onboard broken");
        git(clone, "push", "-q", "origin", "HEAD:main");
        registrySync.refresh();
        String before = git(remote(), "rev-parse", "main").trim();

        String body = Fixtures.text(Fixtures.push("github-push-main", Fixtures.sha(), Fixtures.nextPushTime()))
                .replace("example/demo", "example/broken");
        String eventId = github("push", body).statusCode(202).extract().path("events[0]");
        JsonNode failure = awaitDeployment(EventTypes.DEPLOYMENT_FAILED, eventId);

        assertThat(failure.path("reason").asText()).isEqualTo("render-failed");
        assertThat(failure.path("error").asText()).startsWith("Kustomize failed (exit 1): ")
                .contains("apps/broken/envs/staging/does-not-exist.yaml").doesNotContain("/tmp/").doesNotContain("run.go");
        assertThat(failure.has("gitopsCommit")).isFalse();
        // It is also dead-lettered, to be replayed once the overlay is fixed.
        ConsumerRecord<String, String> dead = deadLetters.await(r -> r.value().contains(eventId), WAIT);
        assertThat(new String(dead.headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8))
                .startsWith("Kustomize failed");
        String after = git(remote(), "rev-parse", "main").trim();
        assertThat(git(remote(), "log", "--format=%s", before + ".." + after)).doesNotContain("Deploy broken");
    }

    @Test
    void aRepositoryThatFeedsTwoAppsGetsOneEventPerAppThatActs() throws Exception {
        Path clone = freshClone();
        for (String app : new String[] { "multi-web", "multi-worker" }) {
            Path folder = Files.createDirectories(clone.resolve("apps/" + app + "/envs/staging"));
            Files.writeString(clone.resolve("apps/" + app + "/app.yaml"), """
                    source: {repository: github.com/example/multi}
                    image: {repository: registry.example.org/example/%s}
                    environments:
                      staging: {branch: %s}
                    """.formatted(app, app.equals("multi-web") ? "main" : "release/*"));
            Files.writeString(folder.resolve("kustomization.yaml"), "resources: []\n");
        }
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "Onboard multi-web and multi-worker");
        git(clone, "push", "-q", "origin", "HEAD:main");
        registrySync.refresh();
        String body = Fixtures.text(Fixtures.push("github-push-main", Fixtures.sha(), Fixtures.nextPushTime()))
                .replace("example/demo", "example/multi");

        io.restassured.response.ExtractableResponse<io.restassured.response.Response> answer = github("push", body)
                .statusCode(202).extract();

        List<String> events = answer.path("events");
        assertThat(events).hasSize(1);
        assertThat(answer.<String>path("skipped.multi-worker")).isEqualTo("no environment of app multi-worker follows branch main");
        JsonNode deployment = awaitDeployment(EventTypes.DEPLOYMENT_COMMITTED, events.get(0));
        assertThat(deployment.path("app").asText()).isEqualTo("multi-web");
    }

    @Test
    void anEnvironmentAddedMomentsAgoIsFollowedAtOnce() throws Exception {
        Path clone = freshClone();
        String registration = """
                source: {repository: github.com/example/growing}
                image: {repository: registry.example.org/example/growing}
                environments:
                  staging: {branch: main}
                """;
        Files.createDirectories(clone.resolve("apps/growing/envs/staging"));
        Files.writeString(clone.resolve("apps/growing/app.yaml"), registration);
        Files.writeString(clone.resolve("apps/growing/envs/staging/kustomization.yaml"), "resources: []\n");
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "Onboard growing");
        git(clone, "push", "-q", "origin", "HEAD:main");
        registrySync.refresh();
        Files.writeString(clone.resolve("apps/growing/app.yaml"), registration + "  qa: {branch: qa}\n");
        Files.createDirectories(clone.resolve("apps/growing/envs/qa"));
        Files.writeString(clone.resolve("apps/growing/envs/qa/kustomization.yaml"), "resources: []\n");
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "Add a qa environment to growing");
        git(clone, "push", "-q", "origin", "HEAD:main");
        // Past the on-demand refresh's minimum interval, well within the scheduled refresh's.
        Thread.sleep(2100);

        String body = Fixtures.text(Fixtures.push("github-push-main", Fixtures.sha(), Fixtures.nextPushTime()))
                .replace("refs/heads/main", "refs/heads/qa").replace("example/demo", "example/growing");
        String eventId = github("push", body).statusCode(202).extract().path("events[0]");

        assertThat(awaitDeployment(EventTypes.DEPLOYMENT_COMMITTED, eventId).path("environment").asText())
                .isEqualTo("qa");
    }

    @Test
    void twoAppsWhoseEnvironmentsWouldShareANamespaceLeaveTheLaterOneOut() throws Exception {
        Path clone = freshClone();
        for (String[] app : new String[][] { { "ns-x", "y-z" }, { "ns-x-y", "z" } }) {
            Files.createDirectories(clone.resolve("apps/" + app[0] + "/envs/" + app[1]));
            Files.writeString(clone.resolve("apps/" + app[0] + "/app.yaml"), "source: {repository: github.com/example/"
                    + app[0] + "}\nimage: {repository: registry.example.org/example/" + app[0] + "}\nenvironments:\n  "
                    + app[1] + ": {branch: main}\n");
            Files.writeString(clone.resolve("apps/" + app[0] + "/envs/" + app[1] + "/kustomization.yaml"),
                    "resources: []\n");
        }
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "Onboard two apps that clash");
        git(clone, "push", "-q", "origin", "HEAD:main");

        registrySync.refresh();

        assertThat(registry.app("ns-x")).isPresent();
        assertThat(registry.app("ns-x-y")).isEmpty();
        assertThat(registry.invalidApps().get("ns-x-y"))
                .isEqualTo("apps/ns-x-y/app.yaml: environment z would run in namespace ns-x-y-z, which belongs to app ns-x");
    }

    @Test
    void aDeadLetteredPushIsReplayedOnceItsOverlayIsFixed() throws Exception {
        Path clone = freshClone();
        Files.createDirectories(clone.resolve("apps/fixme/envs/staging"));
        Files.writeString(clone.resolve("apps/fixme/app.yaml"), "source: {repository: github.com/example/fixme}\n"
                + "image: {repository: registry.example.org/example/fixme}\nenvironments:\n  staging: {branch: main}\n");
        Files.writeString(clone.resolve("apps/fixme/envs/staging/kustomization.yaml"), "resources: [missing.yaml]\n");
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "Onboard fixme, with a typo");
        git(clone, "push", "-q", "origin", "HEAD:main");
        registrySync.refresh();
        String sha = Fixtures.sha();
        String eventId = github("push", Fixtures.text(Fixtures.push("github-push-main", sha, Fixtures.nextPushTime()))
                .replace("example/demo", "example/fixme")).statusCode(202).extract().path("events[0]");
        awaitDeployment(EventTypes.DEPLOYMENT_FAILED, eventId);
        deadLetters.await(r -> r.value().contains(eventId), WAIT);
        io.restassured.specification.RequestSpecification api = RestAssured.given().header("Authorization",
                "Bearer " + RelayTestEnvironment.API_TOKEN);
        api.get("/api/dead-letters").then().statusCode(200)
                .body("find { it.eventId == '" + eventId + "' }.reason", org.hamcrest.Matchers.startsWith("Kustomize failed"))
                .body("find { it.eventId == '" + eventId + "' }.topic", org.hamcrest.Matchers.equalTo(Topics.GIT_EVENTS));

        Files.writeString(clone.resolve("apps/fixme/envs/staging/kustomization.yaml"), "resources: []\n");
        git(clone, "commit", "-qam", "Fix the typo");
        git(clone, "pull", "-q", "--rebase", "origin", "main");
        git(clone, "push", "-q", "origin", "HEAD:main");
        api.post("/api/dead-letters/replay").then().statusCode(200)
                .body("records.eventId", org.hamcrest.Matchers.hasItem(eventId));

        JsonNode deployed = awaitDeployment(EventTypes.DEPLOYMENT_COMMITTED, eventId);
        assertThat(deployed.path("sourceCommit").asText()).isEqualTo(sha);
        api.get("/api/dead-letters").then().statusCode(200)
                .body("eventId", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasItem(eventId)));
    }

    @Test
    void aBrokenAppYamlLeavesOnlyThatAppOutAndIsReported() throws Exception {
        String app = ownApp();
        Path clone = freshClone();
        Files.createDirectories(clone.resolve("apps/typo"));
        Files.writeString(clone.resolve("apps/typo/app.yaml"), "source: {repo: github.com/example/typo}\n");
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "Onboard typo");
        git(clone, "push", "-q", "origin", "HEAD:main");

        registrySync.refresh();

        assertThat(registry.invalidApps()).containsKey("typo");
        assertThat(registry.invalidApps().get("typo")).contains("unknown key 'source.repo'", "source.repository is required");
        assertThat(registry.app(app)).isPresent();
        RestAssured.get("/q/metrics").then().statusCode(200)
                .body(org.hamcrest.Matchers.containsString("relay_apps_invalid{app=\"typo\"} 1.0"));
        deployments.await(r -> EventCodec.decode(r.value()).type().equals(EventTypes.APP_INVALID)
                && "typo".equals(r.key()), WAIT);
        String eventId = push(app, "github-push-main", Fixtures.sha(), Fixtures.nextPushTime());
        awaitDeployment(EventTypes.DEPLOYMENT_COMMITTED, eventId);
    }

    @Test
    void aRecordNamingAnAppButComingFromAnotherRepositoryDeploysNothing() throws Exception {
        // What ingest would never write: a push of another repository, with the app as its subject. Anyone who can
        // write to the topic could; the handler checks the repository against the app's registered source.
        String app = ownApp();
        String sha = Fixtures.sha();
        GitChange.Push push = new GitChange.Push(SourceRepo.parse("github.com/mallory/" + app),
                GitChange.RefKind.BRANCH, "main", GitChange.ZERO_SHA, sha, sha, 1, "mallory", Instant.now(),
                Instant.now(), false, false, false);
        RelayEvent forged = RelayEvent.of(UUID.randomUUID().toString(), "/webhooks/github", EventTypes.GIT_PUSH, app,
                Instant.now(), EventCodec.toData(push));
        String wrongSource = "relay_events_handled_total{outcome=\"wrong-source\",type=\"" + EventTypes.GIT_PUSH
                + "\"}";
        double before = metric(wrongSource);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(java.util.Map.of("bootstrap.servers",
                bootstrapServers), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(Topics.GIT_EVENTS, app, EventCodec.encode(forged)));
        }

        Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .until(() -> metric(wrongSource) > before);
        assertThat(git(remote(), "log", "--format=%B", "main")).doesNotContain(sha).doesNotContain(forged.id());
    }

    /** Onboards app {@code name} of repository example/{@code name}, staging following main, with this overlay. */
    private void onboardWithStaging(String name, String overlay) throws Exception {
        Path clone = freshClone();
        Path folder = Files.createDirectories(clone.resolve("apps/" + name + "/envs/staging"));
        Files.writeString(clone.resolve("apps/" + name + "/app.yaml"), """
                source: {repository: github.com/example/%1$s}
                image: {repository: registry.example.org/example/%1$s}
                environments:
                  staging: {branch: main}
                """.formatted(name));
        Files.writeString(folder.resolve("kustomization.yaml"), overlay);
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "Onboard " + name);
        TestApps.push(clone);
        registrySync.refresh();
    }

    @Test
    void aPushClaimingAFarFutureTimeCannotMakeTheNextRealPushStale() throws Exception {
        onboardWithStaging("clocky", "resources: []\n");
        String clamped = "relay_claimed_times_clamped_total{type=\"" + EventTypes.GIT_PUSH + "\"}";
        double clampedBefore = metric(clamped);

        long year2100 = Instant.parse("2100-01-01T00:00:00Z").getEpochSecond();
        String forward = github("push", Fixtures.text(Fixtures.push("github-push-main", Fixtures.sha(), year2100))
                .replace("example/demo", "example/clocky")).statusCode(202).extract().path("events[0]");
        awaitDeployment(EventTypes.DEPLOYMENT_COMMITTED, forward);
        String deployedAt = KustomizationFile.parse(git(remote(), "show", "main:apps/clocky/envs/staging/kustomization.yaml"))
                .annotation("source-time").orElseThrow();
        assertThat(Instant.parse(deployedAt)).isBefore(Instant.now());

        // The next real push, a moment later by GitHub's clock, deploys.
        String sha = Fixtures.sha();
        String next = github("push", Fixtures.text(Fixtures.push("github-push-main", sha,
                Instant.now().getEpochSecond() + 1)).replace("example/demo", "example/clocky")).statusCode(202)
                .extract().path("events[0]");
        JsonNode deployment = awaitDeployment(EventTypes.DEPLOYMENT_COMMITTED, next);
        assertThat(deployment.path("image").asText()).isEqualTo("registry.example.org/example/clocky:" + sha);
        assertThat(metric(clamped)).isGreaterThan(clampedBefore);
    }

    @Test
    void anOverlayDeployedWithAFutureTimeBeforeTimesWereClampedDoesNotHoldBackTheNextPush() throws Exception {
        // Deployed long ago, by a version that did not clamp times, with a time from the future.
        onboardWithStaging("stuck", KustomizationFile.parse("resources: []\n")
                .annotation("source-time", "2100-01-01T00:00:00Z").toYaml());

        String sha = Fixtures.sha();
        String eventId = github("push", Fixtures.text(Fixtures.push("github-push-main", sha, Fixtures.nextPushTime()))
                .replace("example/demo", "example/stuck")).statusCode(202).extract().path("events[0]");

        assertThat(awaitDeployment(EventTypes.DEPLOYMENT_COMMITTED, eventId).path("image").asText())
                .isEqualTo("registry.example.org/example/stuck:" + sha);
    }

    @Test
    void anUnreadableRecordGoesToTheDeadLetterTopicWithItsReason() throws Exception {
        String app = ownApp();
        String garbage = "not a cloud event " + UUID.randomUUID();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(java.util.Map.of("bootstrap.servers",
                bootstrapServers), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(Topics.GIT_EVENTS, app, garbage));
        }

        ConsumerRecord<String, String> dead = deadLetters.await(r -> garbage.equals(r.value()), WAIT);

        Header reason = dead.headers().lastHeader("dead-letter-reason");
        assertThat(reason).isNotNull();
        assertThat(new String(reason.value(), StandardCharsets.UTF_8)).contains("not a relay event");
    }

    /**
     * A dead letter acknowledges its record, and in a batch that commits the partition's offset: an unreadable record
     * behind a push that is still being retried must not be dead-lettered (and the push's offset committed) first.
     */
    @Test
    void aBatchsDeadLettersWaitUntilEveryEarlierRecordIsSettled() throws Exception {
        String app = ownApp();
        Path away = config.dataDir().resolve("gitops.git.away");
        Files.move(remote(), away);
        String garbage = "not a cloud event " + UUID.randomUUID();
        String eventId = "retried-" + UUID.randomUUID();
        String sha = Fixtures.sha();
        Instant pushedAt = Instant.ofEpochSecond(Fixtures.nextPushTime());
        GitChange.Push push = new GitChange.Push(SourceRepo.parse("github.com/example/" + app),
                GitChange.RefKind.BRANCH, "main", GitChange.ZERO_SHA, sha, sha, 1, "alice", pushedAt, pushedAt, false,
                false, false);
        RelayEvent event = RelayEvent.of(eventId, "/webhooks/github", EventTypes.GIT_PUSH, app, Instant.now(),
                EventCodec.toData(push));
        try {
            // One produce request: the two records come back to the handlers in one fetch, so in one batch.
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(java.util.Map.of("bootstrap.servers",
                    bootstrapServers, "linger.ms", "100"), new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>(Topics.GIT_EVENTS, app, EventCodec.encode(event)));
                producer.send(new ProducerRecord<>(Topics.GIT_EVENTS, app, garbage));
            }
            ConsumerRecord<String, String> last = deadLetters.await(r -> garbage.equals(r.value()), WAIT);
            ConsumerRecord<String, String> first = deadLetters.await(r -> r.value().contains(eventId), WAIT);
            assertThat(first.offset()).as("the retried push is dead-lettered before the record behind it")
                    .isLessThan(last.offset());
        } finally {
            Files.move(away, remote());
        }
    }

    @Test
    void anEventWhoseGitOpsRemoteStaysUnreachableIsDeadLetteredAfterBoundedRetries() throws Exception {
        String app = ownApp();
        String retries = "relay_handler_retries_total{reason=\"git-unavailable\"}";
        String deadLettered = "relay_dead_letters_total{reason=\"git-unavailable\"}";
        double retriesBefore = metric(retries);
        double deadLetteredBefore = metric(deadLettered);
        Path away = config.dataDir().resolve("gitops.git.away");
        Files.move(remote(), away);
        try {
            String eventId = push(app, "github-push-main", Fixtures.sha(), Fixtures.nextPushTime());
            ConsumerRecord<String, String> dead = deadLetters.await(r -> r.value().contains(eventId), WAIT);
            assertThat(new String(dead.headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8))
                    .contains("Cannot");
        } finally {
            Files.move(away, remote());
        }
        assertThat(metric(retries)).isGreaterThan(retriesBefore);
        assertThat(metric(deadLettered)).isGreaterThan(deadLetteredBefore);
        // The pipeline carries on once the remote is back.
        String next = push(app, "github-push-main", Fixtures.sha(), Fixtures.nextPushTime());
        awaitDeployment(EventTypes.DEPLOYMENT_COMMITTED, next);
    }
}
