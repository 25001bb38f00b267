package org.gitopsrelay.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.gitopsrelay.testing.Api.as;
import static org.gitopsrelay.testing.GitCli.git;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.gitopsrelay.app.RegistrySync;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.testing.Fixtures;
import org.gitopsrelay.testing.RelayTestEnvironment;
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
 * The state API and its tokens over real HTTP, on apps deployed through the real pipeline (webhook, broker,
 * Kustomize, Git), checked against what {@code git log} shows.
 */
@QuarkusTest
@QuarkusTestResource(RelayTestEnvironment.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AppsApiTest {

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
        deployments.close();
    }


    private String deployToStaging(String app, String sha) {
        String eventId = Webhooks.pushToMain(app, sha);
        deployments.awaitOutcome(OutcomeEvent.DeploymentCommitted.class, eventId, WAIT);
        return eventId;
    }

    @Test
    void anEnvironmentShowsItsImageSourceCommitAndTheGitOpsCommitsThatPutItThere() throws Exception {
        String app = TestApps.onboardLikeDemo(config.dataDir(), registrySync, "state");
        String first = Fixtures.sha();
        String firstEvent = deployToStaging(app, first);
        String second = Fixtures.sha();
        String secondEvent = deployToStaging(app, second);
        Path clone = TestApps.freshClone(config.dataDir());
        String overlay = "apps/" + app + "/envs/staging/kustomization.yaml";
        List<String> commits = List.of(git(clone, "log", "--format=%H", "--", overlay).trim().split("\n"));
        Instant committedAt = Instant.ofEpochSecond(
                Long.parseLong(git(clone, "log", "-1", "--format=%ct", "--", overlay).trim()));

        var staging = as(RelayTestEnvironment.VIEWER_TOKEN).get("/api/apps/" + app + "/environments").then()
                .statusCode(200).extract().jsonPath();

        assertThat(staging.getList("name")).containsExactly("staging", "production");
        assertThat(staging.getString("[0].image")).isEqualTo("registry.example.org/example/" + app + ":" + second);
        assertThat(staging.getString("[0].sourceCommit")).isEqualTo(second);
        assertThat(staging.getString("[0].sourceRef")).isEqualTo("refs/heads/main");
        assertThat(staging.getString("[0].feed")).isEqualTo("branch");
        assertThat(staging.getString("[0].pattern")).isEqualTo("main");
        assertThat(staging.getString("[0].gitopsCommit")).isEqualTo(commits.get(0));
        assertThat(Instant.parse(staging.getString("[0].deployedAt"))).isEqualTo(committedAt);
        assertThat(staging.getString("[0].event")).isEqualTo(secondEvent);
        assertThat(staging.getList("[0].history.gitopsCommit")).containsExactlyElementsOf(commits);
        assertThat(staging.getList("[0].history.tag")).startsWith(second, first);
        assertThat(staging.getList("[0].history[0].events")).containsExactly(secondEvent);
        assertThat(staging.getList("[0].history[1].events")).containsExactly(firstEvent);
        assertThat(staging.getBoolean("[0].history[0].byRelay")).isTrue();
        assertThat(staging.getBoolean("[0].history[2].byRelay")).as("the onboarding, a person's commit").isFalse();
        assertThat(staging.getString("[1].sourceCommit")).as("production: no tag pushed yet").isNull();

        as(RelayTestEnvironment.VIEWER_TOKEN).get("/api/apps/" + app + "/environments?history=1").then()
                .statusCode(200).body("[0].history.size()", equalTo(1));
    }

    @Test
    void theAppsListNamesEveryAppAndWhyABrokenOneIsLeftOut() throws Exception {
        String app = TestApps.onboardLikeDemo(config.dataDir(), registrySync, "listed");
        String broken = app + "-broken";
        Path clone = TestApps.freshClone(config.dataDir());
        Files.createDirectories(clone.resolve("apps/" + broken));
        Files.writeString(clone.resolve("apps/" + broken + "/app.yaml"), "source: [not, a, map]\n");
        git(clone, "add", "-A");
        git(clone, "commit", "-qm", "A broken app.yaml");
        TestApps.push(clone);
        registrySync.refresh();

        as(RelayTestEnvironment.VIEWER_TOKEN).get("/api/apps").then().statusCode(200)
                .body("find { it.name == '" + app + "' }.source", equalTo("github.com/example/" + app))
                .body("find { it.name == '" + app + "' }.image", equalTo("registry.example.org/example/" + app))
                .body("find { it.name == '" + app + "' }.environments", equalTo(List.of("staging", "production")))
                .body("find { it.name == '" + app + "' }.pullRequestPreviews", equalTo(true))
                .body("find { it.name == '" + broken + "' }.error", containsString("source"))
                .body("name", hasItem("demo"));
    }

    @Test
    void anUnknownAppIs404AndAnOutOfRangeHistoryIs400() {
        as(RelayTestEnvironment.VIEWER_TOKEN).get("/api/apps/no-such-app/environments").then().statusCode(404)
                .body("error", equalTo("No app named 'no-such-app' is registered"));
        as(RelayTestEnvironment.VIEWER_TOKEN).get("/api/apps/demo/environments?history=101").then()
                .statusCode(400).body("error", equalTo("history must be between 0 and 100"));
        as(RelayTestEnvironment.VIEWER_TOKEN).get("/api/apps/demo/environments?history=-1").then()
                .statusCode(400);
    }

    @Test
    void everyCallNeedsAKnownTokenWithTheRoleItsCallNeeds() {
        given().get("/api/apps").then().statusCode(401).header("WWW-Authenticate", containsString("Bearer"))
                .body("error", equalTo("An Authorization: Bearer header is required"));
        as("viewer-token-7d2e9a1").get("/api/apps").then().statusCode(401)
                .body("error", equalTo("The bearer token is not valid"));

        as(RelayTestEnvironment.VIEWER_TOKEN).get("/api/previews").then().statusCode(200);
        as(RelayTestEnvironment.VIEWER_TOKEN).get("/api/dead-letters").then().statusCode(403)
                .body("error", equalTo("The token 'viewer' has the read role; GET /api/dead-letters needs admin"));
        as(RelayTestEnvironment.DEPLOYER_TOKEN).get("/api/apps").then().statusCode(200);
        as(RelayTestEnvironment.DEPLOYER_TOKEN).post("/api/dead-letters/replay").then().statusCode(403)
                .body("error", equalTo(
                        "The token 'releasebot' has the deploy role; POST /api/dead-letters/replay needs admin"));
        as(RelayTestEnvironment.API_TOKEN).get("/api/dead-letters").then().statusCode(200);
    }

    @Test
    void theRoleACallNeedsFollowsWhatItDoes() {
        assertThat(Map.of(
                "GET /api/apps", ApiAccess.required("GET", "/api/apps"),
                "POST /api/apps/a/promotions", ApiAccess.required("POST", "/api/apps/a/promotions"),
                "DELETE /api/apps/a", ApiAccess.required("DELETE", "/api/apps/a"),
                "GET /api/dead-letters", ApiAccess.required("GET", "/api/dead-letters"),
                "POST /api/dead-letters/replay", ApiAccess.required("POST", "/api/dead-letters/replay")))
                .isEqualTo(Map.of(
                        "GET /api/apps", org.gitopsrelay.config.ApiRole.READ,
                        "POST /api/apps/a/promotions", org.gitopsrelay.config.ApiRole.DEPLOY,
                        "DELETE /api/apps/a", org.gitopsrelay.config.ApiRole.DEPLOY,
                        "GET /api/dead-letters", org.gitopsrelay.config.ApiRole.ADMIN,
                        "POST /api/dead-letters/replay", org.gitopsrelay.config.ApiRole.ADMIN));
    }
}
