package org.gitopsrelay.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.gitopsrelay.testing.Api.as;
import static org.gitopsrelay.testing.GitCli.git;
import static org.gitopsrelay.testing.Webhooks.github;
import static org.hamcrest.Matchers.equalTo;

import java.time.Duration;

import jakarta.inject.Inject;

import org.gitopsrelay.app.RegistrySync;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.EnvironmentAction;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.EventTypes;
import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.testing.EventsDoc;
import org.gitopsrelay.testing.Fixtures;
import org.gitopsrelay.testing.RelayTestEnvironment;
import org.gitopsrelay.testing.RenderedManifests;
import org.gitopsrelay.testing.TestApps;
import org.gitopsrelay.testing.TopicReader;
import org.gitopsrelay.testing.Webhooks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Promotions and rollbacks end to end: the API call, the event on the real broker, the handler, real Kustomize and
 * Git, the outcome on relay.deployments, and the commit as {@code git log} shows it.
 */
@QuarkusTest
@QuarkusTestResource(RelayTestEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EnvironmentActionsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    RelayConfig config;

    @Inject
    RegistrySync registrySync;

    private TopicReader deployments;

    @BeforeAll
    void readTopics() {
        deployments = new TopicReader(Topics.DEPLOYMENTS);
    }

    @AfterAll
    void closeReaders() {
        EventsDoc.checkAgainstRealRecords(deployments.drain(Duration.ZERO));
        deployments.close();
    }


    private RelayEvent outcomeOf(String triggerEvent) {
        return EventCodec.decode(deployments.await(record -> triggerEvent.equals(
                EventCodec.decode(record.value()).data().path("triggerEvent").asText()), WAIT).value());
    }

    private void deployToStaging(String app, String sha) {
        assertThat(outcomeOf(Webhooks.pushToMain(app, sha)).type()).isEqualTo(EventTypes.DEPLOYMENT_COMMITTED);
    }

    private String overlayLog(String app, String env) {
        return git(TestApps.freshClone(config.dataDir()), "log", "-1", "--format=%B", "--",
                "apps/" + app + "/envs/" + env + "/kustomization.yaml");
    }

    @Test
    void aPromotionDeploysTheImageStagingRunsToProductionNamingWhoAsked() throws Exception {
        String app = TestApps.onboardLikeDemo(config.dataDir(), registrySync, "promote");
        String sha = Fixtures.sha();
        deployToStaging(app, sha);

        String id = as(RelayTestEnvironment.DEPLOYER_TOKEN).body("{\"from\":\"staging\",\"to\":\"production\"}")
                .post("/api/apps/" + app + "/promotions").then().statusCode(202)
                .body("environment", equalTo("production")).body("requestedBy", equalTo("releasebot"))
                .extract().path("events[0]");

        RelayEvent outcome = outcomeOf(id);
        OutcomeEvent.DeploymentCommitted committed = EventCodec.fromData(outcome,
                OutcomeEvent.DeploymentCommitted.class);
        assertThat(committed.environment()).isEqualTo("production");
        assertThat(committed.image()).isEqualTo("registry.example.org/example/" + app + ":" + sha);
        assertThat(committed.sourceCommit()).isEqualTo(sha);
        assertThat(committed.pusher()).isEqualTo("releasebot");
        assertThat(overlayLog(app, "production")).isEqualTo("Promote " + app + " staging → production: "
                + "registry.example.org/example/" + app + ":" + sha + " (was latest)\n\n"
                + "Requested by: releasebot\n"
                + "Source: github.com/example/" + app + "@" + sha + " (refs/heads/main)\n\n"
                + "Relay-Event: " + id + "\n\n");
        as(RelayTestEnvironment.VIEWER_TOKEN).get("/api/apps/" + app + "/environments").then().statusCode(200)
                .body("find { it.name == 'production' }.image", equalTo(committed.image()))
                .body("find { it.name == 'production' }.event", equalTo(id));

        // Asked again with the same Idempotency-Key (a bot that did not see the 202): the same event, no new commit.
        String first = as(RelayTestEnvironment.DEPLOYER_TOKEN).header("Idempotency-Key", "release-42")
                .body("{\"from\":\"staging\",\"to\":\"production\"}").post("/api/apps/" + app + "/promotions")
                .then().statusCode(202).extract().path("events[0]");
        String again = as(RelayTestEnvironment.DEPLOYER_TOKEN).header("Idempotency-Key", "release-42")
                .body("{\"from\":\"staging\",\"to\":\"production\"}").post("/api/apps/" + app + "/promotions")
                .then().statusCode(202).extract().path("events[0]");
        assertThat(again).isEqualTo(first);
        String other = as(RelayTestEnvironment.DEPLOYER_TOKEN).header("Idempotency-Key", "release-42")
                .body("{\"from\":\"production\",\"to\":\"staging\"}").post("/api/apps/" + app + "/promotions")
                .then().statusCode(202).extract().path("events[0]");
        assertThat(other).as("the same key with another request is another action").isNotEqualTo(first);
        assertThat(overlayLog(app, "production")).as("production already ran that image").contains(id);
    }

    @Test
    void aRollbackReturnsToThePreviousImageAndCountsAsAChangeFailure() throws Exception {
        String app = TestApps.onboardLikeDemo(config.dataDir(), registrySync, "rollback");
        String good = Fixtures.sha();
        String bad = Fixtures.sha();
        deployToStaging(app, good);
        deployToStaging(app, bad);

        String id = as(RelayTestEnvironment.DEPLOYER_TOKEN).post("/api/apps/" + app + "/environments/staging/rollback")
                .then().statusCode(202).extract().path("events[0]");

        RelayEvent outcome = outcomeOf(id);
        assertThat(outcome.type()).isEqualTo(EventTypes.DEPLOYMENT_ROLLEDBACK);
        var rolledBack = EventCodec.fromData(outcome, OutcomeEvent.DeploymentRolledBack.class);
        assertThat(rolledBack.image()).isEqualTo("registry.example.org/example/" + app + ":" + good);
        assertThat(rolledBack.fromImage()).isEqualTo("registry.example.org/example/" + app + ":" + bad);
        assertThat(rolledBack.requestedBy()).isEqualTo("releasebot");
        assertThat(rolledBack.sourceCommit()).isEqualTo(good);
        assertThat(overlayLog(app, "staging")).startsWith("Roll back " + app + " staging: registry.example.org/example/"
                + app + ":" + good + " (was " + bad + ")\n\nRequested by: releasebot\n");
        String metrics = given().get("/q/metrics").then().extract().asString();
        assertThat(metrics).containsPattern("relay_dora_change_failures_total\\{app=\"" + app
                + "\",environment=\"staging\"[^}]*} 1\\.0");

        // Forward again, to a tag of its history.
        String forward = as(RelayTestEnvironment.DEPLOYER_TOKEN).body("{\"tag\":\"" + bad + "\"}")
                .post("/api/apps/" + app + "/environments/staging/rollback").then().statusCode(202)
                .extract().path("events[0]");
        assertThat(EventCodec.fromData(outcomeOf(forward), OutcomeEvent.DeploymentRolledBack.class).image())
                .endsWith(":" + bad);
    }

    @Test
    void aRollbackToAnImageTheEnvironmentNeverRanFailsAndCommitsNothing() throws Exception {
        String app = TestApps.onboardLikeDemo(config.dataDir(), registrySync, "norollback");
        deployToStaging(app, Fixtures.sha());
        String before = overlayLog(app, "staging");

        String id = as(RelayTestEnvironment.DEPLOYER_TOKEN).body("{\"tag\":\"v9.9.9\"}")
                .post("/api/apps/" + app + "/environments/staging/rollback").then().statusCode(202)
                .extract().path("events[0]");

        RelayEvent outcome = outcomeOf(id);
        assertThat(outcome.type()).isEqualTo(EventTypes.DEPLOYMENT_FAILED);
        var failed = EventCodec.fromData(outcome, OutcomeEvent.DeploymentFailed.class);
        assertThat(failed.reason()).isEqualTo("invalid-change");
        assertThat(failed.error()).startsWith("Cannot roll back to v9.9.9: it is not among the images");
        assertThat(overlayLog(app, "staging")).isEqualTo(before);
    }

    @Test
    void aRestartRollsThePodsThroughGitWithOneAnnotationOfTheRelaysOwn() throws Exception {
        String app = TestApps.onboardLikeDemo(config.dataDir(), registrySync, "restart");
        deployToStaging(app, Fixtures.sha());
        String restart = "/api/apps/" + app + "/environments/staging/restart";

        String first = as(RelayTestEnvironment.DEPLOYER_TOKEN).post(restart).then().statusCode(202)
                .extract().path("events[0]");
        var restarted = EventCodec.fromData(outcomeOf(first), OutcomeEvent.DeploymentRestarted.class);
        Thread.sleep(1100);
        String second = as(RelayTestEnvironment.DEPLOYER_TOKEN).post(restart).then().statusCode(202)
                .extract().path("events[0]");
        var again = EventCodec.fromData(outcomeOf(second), OutcomeEvent.DeploymentRestarted.class);

        assertThat(restarted.requestedBy()).isEqualTo("releasebot");
        assertThat(again.restartedAt()).isAfter(restarted.restartedAt());
        java.nio.file.Path clone = TestApps.freshClone(config.dataDir());
        var web = RenderedManifests.of(clone.resolve("apps/" + app + "/envs/staging"), config.dataDir())
                .one("Deployment", "web");
        assertThat(web.path("spec").path("template").path("metadata").path("annotations")
                .path("gitops-relay.io/restarted-at").asText()).isEqualTo(again.restartedAt().toString());
        assertThat(java.nio.file.Files.readString(clone.resolve("apps/" + app + "/envs/staging/kustomization.yaml")))
                .as("one patch of the relay's, rewritten").containsOnlyOnce("gitops-relay.io/restarted-at");
        assertThat(overlayLog(app, "staging")).startsWith("Restart " + app + " staging (registry.example.org/example/"
                + app + ":");
    }

    @Test
    void anActionWhoseEnvironmentChangedSinceItWasAskedForIsRefusedNotAppliedOnTopOfTheChange() throws Exception {
        String app = TestApps.onboardLikeDemo(config.dataDir(), registrySync, "stale");
        String asked = Fixtures.sha();
        deployToStaging(app, asked);
        deployToStaging(app, Fixtures.sha());
        String before = overlayLog(app, "staging");
        // A rollback accepted while staging ran the first image, handled after the second one landed (a replay, or a
        // push that overtook it).
        String id = java.util.UUID.randomUUID().toString();
        RelayEvent late = RelayEvent.of(id, "/api", EventTypes.ROLLBACK_REQUESTED, app, java.time.Instant.now(),
                EventCodec.toData(new EnvironmentAction.Rollback(app, "staging", null, asked, false, "releasebot")));
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, String>(
                TopicReader.clientConfig(java.util.Map.of()),
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.StringSerializer())) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(Topics.GIT_EVENTS, app,
                    EventCodec.encode(late))).get();
        }

        var failed = EventCodec.fromData(outcomeOf(id), OutcomeEvent.DeploymentFailed.class);

        assertThat(failed.reason()).isEqualTo("invalid-change");
        assertThat(failed.error()).startsWith(app + " staging has changed since the request: it ran " + asked);
        assertThat(overlayLog(app, "staging")).isEqualTo(before);
    }

    @Test
    void aFrozenEnvironmentTakesNoPushAndActsOnlyWhenAskedWithAnOverride() throws Exception {
        String app = TestApps.onboardLikeDemo(config.dataDir(), registrySync, "frozen");
        String first = Fixtures.sha();
        deployToStaging(app, first);
        java.nio.file.Path clone = TestApps.freshClone(config.dataDir());
        java.nio.file.Path appYaml = clone.resolve("apps/" + app + "/app.yaml");
        String yaml = java.nio.file.Files.readString(appYaml);
        assertThat(yaml).contains("  staging:\n    branch: main\n");
        java.nio.file.Files.writeString(appYaml, yaml.replace("  staging:\n    branch: main\n",
                "  staging:\n    branch: main\n    frozen: true\n"));
        git(clone, "commit", "-qam", "Freeze staging");
        TestApps.push(clone);
        registrySync.refresh();
        String before = overlayLog(app, "staging");

        String push = github("push", TestApps.forApp(app,
                Fixtures.text(Fixtures.push("github-push-main", Fixtures.sha(), Fixtures.nextPushTime()))))
                .statusCode(202).extract().path("events[0]");
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> given().get("/q/metrics").then().extract()
                .asString().contains("relay_events_handled_total{outcome=\"frozen\",type=\"relay.git.push\"}"));
        assertThat(overlayLog(app, "staging")).as("the push %s deployed nothing", push).isEqualTo(before);
        as(RelayTestEnvironment.DEPLOYER_TOKEN).post("/api/apps/" + app + "/environments/staging/restart").then()
                .statusCode(409).body("error", equalTo(app + " staging is frozen (frozen: true in app.yaml): send"
                        + " \"override\": true to act on it anyway"));

        String restart = as(RelayTestEnvironment.DEPLOYER_TOKEN).body("{\"override\":true}")
                .post("/api/apps/" + app + "/environments/staging/restart").then().statusCode(202)
                .extract().path("events[0]");

        assertThat(outcomeOf(restart).type()).isEqualTo(EventTypes.DEPLOYMENT_RESTARTED);
        assertThat(overlayLog(app, "staging")).contains("Override: staging is frozen");
        as(RelayTestEnvironment.VIEWER_TOKEN).get("/api/apps/" + app + "/environments").then().statusCode(200)
                .body("find { it.name == 'staging' }.frozen", equalTo(true))
                .body("find { it.name == 'staging' }.tag", equalTo(first));
    }

    @Test
    void actionsNeedTheDeployRoleAKnownAppAndEnvironmentsAndASaneBody() throws Exception {
        String app = TestApps.onboardLikeDemo(config.dataDir(), registrySync, "checked");
        String promotions = "/api/apps/" + app + "/promotions";

        as(RelayTestEnvironment.VIEWER_TOKEN).body("{\"from\":\"staging\",\"to\":\"production\"}").post(promotions)
                .then().statusCode(403).body("error", equalTo("The token 'viewer' has the read role; POST "
                        + promotions + " needs deploy"));
        as(RelayTestEnvironment.DEPLOYER_TOKEN).body("{\"from\":\"staging\",\"to\":\"production\"}")
                .post("/api/apps/nope/promotions").then().statusCode(404)
                .body("error", equalTo("No app named 'nope' is registered"));
        as(RelayTestEnvironment.DEPLOYER_TOKEN).body("{\"from\":\"staging\",\"to\":\"qa\"}").post(promotions)
                .then().statusCode(404).body("error", equalTo("App " + app + " has no environment 'qa'"));
        as(RelayTestEnvironment.DEPLOYER_TOKEN).body("{\"from\":\"staging\",\"to\":\"staging\"}").post(promotions)
                .then().statusCode(400);
        as(RelayTestEnvironment.DEPLOYER_TOKEN).body("{\"from\":\"staging\"}").post(promotions).then()
                .statusCode(400).body("error", equalTo("A promotion names 'from' and 'to' environments"));
        as(RelayTestEnvironment.DEPLOYER_TOKEN).body("{\"tag\":\"../../etc\"}")
                .post("/api/apps/" + app + "/environments/staging/rollback").then().statusCode(400);
        as(RelayTestEnvironment.DEPLOYER_TOKEN).header("Idempotency-Key", "not a token")
                .post("/api/apps/" + app + "/environments/staging/rollback").then().statusCode(400);
    }
}
