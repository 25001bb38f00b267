package org.gitopsrelay.testing;

import static io.restassured.RestAssured.given;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

import org.gitopsrelay.webhook.HmacSignature;

import io.restassured.RestAssured;
import io.restassured.config.RestAssuredConfig;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;

/** Sends webhooks the way GitHub does: raw JSON bytes, signed, with the event and delivery headers. */
public final class Webhooks {

    /** GitHub gives up on a delivery not answered within 10 seconds. */
    public static final Duration GITHUB_TIMEOUT = Duration.ofSeconds(10);

    private Webhooks() {
    }

    public static ValidatableResponse github(String event, String body) {
        return github(event, body, UUID.randomUUID().toString());
    }

    public static ValidatableResponse github(String event, String body, String deliveryId) {
        return github(given(), event, body, deliveryId);
    }

    /**
     * As GitHub sends it, with GitHub's patience: a delivery not answered within {@link #GITHUB_TIMEOUT} fails the
     * call with a time-out, as it fails at GitHub.
     */
    public static ValidatableResponse githubWithItsTimeout(String event, String body, String deliveryId) {
        int millis = (int) GITHUB_TIMEOUT.toMillis();
        RestAssuredConfig current = RestAssured.config();
        RestAssuredConfig config = current.httpClient(current.getHttpClientConfig()
                .setParam("http.connection.timeout", millis).setParam("http.socket.timeout", millis));
        return github(given().config(config), event, body, deliveryId);
    }

    private static ValidatableResponse github(RequestSpecification request, String event, String body,
            String deliveryId) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return request
                .contentType("application/json")
                .header("X-GitHub-Event", event)
                .header("X-GitHub-Delivery", deliveryId)
                .header("X-GitHub-Hook-ID", "20081052")
                .header("User-Agent", "GitHub-Hookshot/044aadd")
                .header("X-Hub-Signature-256",
                        "sha256=" + HmacSignature.sha256Hex(RelayTestEnvironment.GITHUB_SECRET, bytes))
                .body(bytes)
                .when().post("/webhooks/github")
                .then();
    }

    /** A signed push of {@code sha} to main of {@code app}'s repository (the fixture, now); the event id. */
    public static String pushToMain(String app, String sha) {
        return github("push", TestApps.forApp(app,
                Fixtures.text(Fixtures.push("github-push-main", sha, Fixtures.nextPushTime()))))
                .statusCode(202).extract().path("events[0]");
    }

    /**
     * Sends a backup job's report as the backup component's script does: signed with the key of the app and
     * environment it names, with its delivery id.
     */
    public static ValidatableResponse backupReport(String body, String deliveryId) {
        java.util.regex.Matcher app = java.util.regex.Pattern.compile("\"app\":\"([^\"]*)\"").matcher(body);
        java.util.regex.Matcher env = java.util.regex.Pattern.compile("\"environment\":\"([^\"]*)\"").matcher(body);
        String key = app.find() && env.find()
                ? org.gitopsrelay.webhook.BackupWebhook.keyOf(RelayTestEnvironment.BACKUP_SECRET, app.group(1),
                        env.group(1))
                : RelayTestEnvironment.BACKUP_SECRET;
        return backupReport(body, deliveryId, key);
    }

    /** As above, signed with {@code key}. */
    public static ValidatableResponse backupReport(String body, String deliveryId, String key) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return given()
                .contentType("application/json")
                .header("X-Relay-Delivery", deliveryId)
                .header("X-Relay-Signature-256",
                        "sha256=" + HmacSignature.sha256Hex(key, bytes))
                .body(bytes)
                .when().post("/webhooks/backup")
                .then();
    }
}
