package org.gitopsrelay.webhook;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.gitopsrelay.testing.Webhooks.github;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.matchesPattern;

import java.nio.charset.StandardCharsets;

import org.gitopsrelay.testing.Fixtures;
import org.gitopsrelay.testing.RelayTestEnvironment;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** Every answer of POST /webhooks/github, over real HTTP, against the running service. */
@QuarkusTest
@QuarkusTestResource(RelayTestEnvironment.class)
class GitHubWebhookTest {

    private static final String PUSH = Fixtures.text(Fixtures.json("github-push-feature-branch"));

    @Test
    void pingIsAnsweredWith200AndWritesNothing() {
        github("ping", Fixtures.text(Fixtures.json("github-ping")))
                .statusCode(200).body("pong", equalTo("Keep it logically awesome."));
    }

    @Test
    void aMissingSignatureIs401() {
        given().contentType("application/json").header("X-GitHub-Event", "push").header("X-GitHub-Delivery", "d-1")
                .body(PUSH).post("/webhooks/github")
                .then().statusCode(401).body("error", equalTo("The X-Hub-Signature-256 header is missing"))
                .body("reason", equalTo("bad-signature"));
    }

    @Test
    void aWrongSignatureIs401() {
        byte[] body = PUSH.getBytes(StandardCharsets.UTF_8);
        given().contentType("application/json").header("X-GitHub-Event", "push").header("X-GitHub-Delivery", "d-2")
                .header("X-Hub-Signature-256", "sha256=" + HmacSignature.sha256Hex("not the secret", body))
                .body(body).post("/webhooks/github")
                .then().statusCode(401).body("error", containsString("does not match"));
    }

    @Test
    void aBodyChangedAfterSigningIs401() {
        byte[] signed = PUSH.getBytes(StandardCharsets.UTF_8);
        byte[] tampered = PUSH.replace("feature/login", "main").getBytes(StandardCharsets.UTF_8);
        given().contentType("application/json").header("X-GitHub-Event", "push").header("X-GitHub-Delivery", "d-3")
                .header("X-Hub-Signature-256",
                        "sha256=" + HmacSignature.sha256Hex(RelayTestEnvironment.GITHUB_SECRET, signed))
                .body(tampered).post("/webhooks/github")
                .then().statusCode(401);
    }

    @Test
    void malformedJsonIs400WithWhereItBroke() {
        github("push", "{\"ref\": \"refs/heads/main\",").statusCode(400)
                .body("error", matchesPattern("The body is not valid JSON: .* at line 1, column \\d+"))
                .body("reason", equalTo("malformed-payload"));
        github("push", "[1, 2]").statusCode(400).body("error", equalTo("The body is not a JSON object"));
        github("push", "").statusCode(400).body("error", containsString("The body is empty"));
    }

    @Test
    void aMissingFieldIs400ThatNamesIt() {
        ObjectNode push = Fixtures.json("github-push-main");
        push.remove("after");
        github("push", Fixtures.text(push)).statusCode(400).body("error", equalTo("The field 'after' is missing"));
    }

    @Test
    void missingEventOrDeliveryHeadersAre400() {
        byte[] body = PUSH.getBytes(StandardCharsets.UTF_8);
        String signature = "sha256=" + HmacSignature.sha256Hex(RelayTestEnvironment.GITHUB_SECRET, body);
        given().contentType("application/json").header("X-GitHub-Delivery", "d-4")
                .header("X-Hub-Signature-256", signature).body(body).post("/webhooks/github")
                .then().statusCode(400).body("error", equalTo("The X-GitHub-Event header is missing"));
        given().contentType("application/json").header("X-GitHub-Event", "push")
                .header("X-Hub-Signature-256", signature).body(body).post("/webhooks/github")
                .then().statusCode(400).body("error", equalTo("The X-GitHub-Delivery header is missing"));
        github("push", PUSH, "../../etc/passwd").statusCode(400)
                .body("error", equalTo("The X-GitHub-Delivery header is not a plain token"));
    }

    @Test
    void aBodyFarOverTheLimitIsRefusedByTheServerBeforeItIsBuffered() {
        // 64 KiB webhook limit: the server's own limit is just above it, not Quarkus' 10 MiB or the old 32 MiB.
        assertThat(org.eclipse.microprofile.config.ConfigProvider.getConfig()
                .getValue("quarkus.http.limits.max-body-size", String.class)).isEqualTo("131072");
        ObjectNode push = Fixtures.json("github-push-main");
        push.put("padding", "x".repeat(1_000_000));
        github("push", Fixtures.text(push)).statusCode(413);
    }

    @Test
    void aBodyOverTheLimitIs413() {
        // The test environment sets relay.webhook.max-body-bytes to 64 KiB.
        ObjectNode push = Fixtures.json("github-push-main");
        push.put("padding", "x".repeat(70_000));
        github("push", Fixtures.text(push)).statusCode(413)
                .body("error", containsString("the limit is 65536 (relay.webhook.max-body-bytes)"));
    }

    @Test
    void aRepositoryNoAppRegistersIsIgnored() {
        github("push", Fixtures.text(Fixtures.json("github-push-unregistered-repo"))).statusCode(202)
                .body("ignored", equalTo("no app registers repository github.com/example/unknown"));
    }

    @Test
    void aBranchNoEnvironmentFollowsIsIgnored() {
        github("push", PUSH).statusCode(202)
                .body("ignored", equalTo("no environment of app demo follows branch feature/login"));
    }

    @Test
    void aDeletedBranchIsIgnored() {
        github("push", Fixtures.text(Fixtures.json("github-push-branch-deleted"))).statusCode(202)
                .body("ignored", equalTo("branch feature/login was deleted; environments keep their last deployment"));
        github("delete", Fixtures.text(Fixtures.json("github-delete-branch"))).statusCode(202)
                .body("ignored", containsString("environments keep their last deployment"));
    }

    @Test
    void eventsGitopsRelayDoesNotActOnAreIgnored() {
        github("issues", "{\"action\": \"opened\"}").statusCode(202)
                .body("ignored", equalTo("GitHub event 'issues' is not one gitops-relay acts on"));
    }

    @Test
    void aPushToAFollowedBranchIsAcceptedWithItsEventId() {
        github("push", Fixtures.text(Fixtures.push("github-push-main", Fixtures.sha(), Fixtures.nextPushTime())))
                .statusCode(202).body("events", hasSize(1))
                .body("events[0]", matchesPattern("[0-9a-f-]{36}"));
    }
}
