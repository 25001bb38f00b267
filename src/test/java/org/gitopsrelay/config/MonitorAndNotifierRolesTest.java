package org.gitopsrelay.config;

import static io.restassured.RestAssured.given;
import static org.gitopsrelay.testing.Webhooks.github;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;

import java.util.Map;

import org.gitopsrelay.testing.Fixtures;
import org.gitopsrelay.testing.RelayTestEnvironment;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** A process running only the monitor and notifier roles: no webhooks, no API, no handler consuming git events. */
@QuarkusTest
@QuarkusTestResource(value = RelayTestEnvironment.class, restrictToAnnotatedClass = true)
@TestProfile(MonitorAndNotifierRolesTest.MonitorAndNotifier.class)
class MonitorAndNotifierRolesTest {

    public static class MonitorAndNotifier implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("relay.roles", "monitor,notifier");
        }
    }

    @Test
    void webhooksAndTheApiAreAnsweredWith404NamingTheIngestRole() {
        github("push", Fixtures.text(Fixtures.json("github-push-main"))).statusCode(404)
                .body("error", containsString("webhooks and the API are served by the ingest role"));
        given().header("Authorization", "Bearer " + RelayTestEnvironment.API_TOKEN).get("/api/previews").then()
                .statusCode(404);
    }

    @Test
    void onlyTheChannelsOfItsRolesConsume() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'SmallRye Reactive Messaging - readiness check' }.data",
                        hasKey("deployments-monitor"))
                .body("checks.find { it.name == 'SmallRye Reactive Messaging - readiness check' }.data",
                        hasKey("deployments-notifier"))
                .body("checks.find { it.name == 'SmallRye Reactive Messaging - readiness check' }.data",
                        not(hasKey("git-events")));
        given().get("/q/metrics").then().statusCode(200);
    }
}
