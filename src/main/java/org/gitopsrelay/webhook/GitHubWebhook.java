package org.gitopsrelay.webhook;

import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;

import com.fasterxml.jackson.databind.JsonNode;

import io.smallrye.common.annotation.Blocking;

/** {@code POST /webhooks/github}: signed GitHub deliveries, answered only once their events are in Kafka. */
@Path("/webhooks/github")
public class GitHubWebhook {

    static final String PROVIDER = "github";

    private final RelayConfig config;
    private final WebhookIngest ingest;
    private final WebhookOutcomes outcomes;

    @Inject
    public GitHubWebhook(RelayConfig config, WebhookIngest ingest, WebhookOutcomes outcomes) {
        this.config = config;
        this.ingest = ingest;
        this.outcomes = outcomes;
    }

    @POST
    @Blocking
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Receive a GitHub webhook delivery (push, create, delete, pull_request, ping)")
    public Response receive(@HeaderParam("X-GitHub-Event") String event,
            @HeaderParam("X-GitHub-Delivery") String delivery,
            @HeaderParam("X-Hub-Signature-256") String signature,
            byte[] body) {
        return outcomes.record(PROVIDER, () -> {
            WebhookLimits.checkSize(body, config.webhook().maxBodyBytes());
            String secret = config.webhook().github().secret().orElse(null);
            if (secret == null || secret.isEmpty()) {
                throw new RelayException(Reason.BAD_SIGNATURE,
                        "No GitHub secret is configured (relay.webhook.github.secret): every delivery is refused");
            }
            if (signature == null || signature.isBlank()) {
                throw new RelayException(Reason.BAD_SIGNATURE, "The X-Hub-Signature-256 header is missing");
            }
            if (!HmacSignature.matches(secret, body, signature, "sha256=")) {
                throw new RelayException(Reason.BAD_SIGNATURE,
                        "The X-Hub-Signature-256 signature does not match the body and the configured secret");
            }
            String eventType = WebhookLimits.requireHeader("X-GitHub-Event", event);
            String deliveryId = WebhookLimits.requireHeader("X-GitHub-Delivery", delivery);
            JsonNode json = Json.parse(body);
            if ("ping".equals(eventType)) {
                return WebhookOutcomes.pong(json);
            }
            Normalised normalised = GitHubPayloads.normalise(eventType, json);
            if (normalised instanceof Normalised.Change change) {
                return ingest.accept(PROVIDER, deliveryId, change.change());
            }
            return WebhookAnswer.ignored(((Normalised.Ignored) normalised).reason());
        });
    }
}
