package org.gitopsrelay.testing;

import static io.restassured.RestAssured.given;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

import org.gitopsrelay.webhook.HmacSignature;

import io.restassured.response.ValidatableResponse;

/** Sends webhooks the way GitHub does: raw JSON bytes, signed, with the event and delivery headers. */
public final class Webhooks {

    private Webhooks() {
    }

    public static ValidatableResponse github(String event, String body) {
        return github(event, body, UUID.randomUUID().toString());
    }

    public static ValidatableResponse github(String event, String body, String deliveryId) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return given()
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
}
