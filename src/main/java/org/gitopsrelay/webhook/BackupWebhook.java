package org.gitopsrelay.webhook;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.gitopsrelay.app.AppRegistry;
import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.BackupReport;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.kafka.EventPublisher;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;

import io.smallrye.common.annotation.Blocking;

/**
 * {@code POST /webhooks/backup}: a backup or restore job's report, HMAC-signed with {@code relay.webhook.backup.secret}
 * ({@code X-Relay-Signature-256: sha256=<hex>}), becomes a {@code relay.backup.*} or {@code relay.restore.*} event
 * on {@code relay.backups}, keyed by app. Answered 202 once Kafka has it; the event id derives from
 * {@code X-Relay-Delivery}, so a job that sends its report again makes no second event.
 */
@Path("/webhooks/backup")
public class BackupWebhook {

    static final String PROVIDER = "backup";

    private final RelayConfig config;
    private final AppRegistry registry;
    private final EventPublisher publisher;
    private final WebhookOutcomes outcomes;

    @Inject
    public BackupWebhook(RelayConfig config, AppRegistry registry, EventPublisher publisher,
            WebhookOutcomes outcomes) {
        this.config = config;
        this.registry = registry;
        this.publisher = publisher;
        this.outcomes = outcomes;
    }

    /**
     * The key a backup job of {@code app}'s {@code environment} signs with: the hex HMAC-SHA256 of
     * {@code <app>/<environment>} under {@code relay.webhook.backup.secret}, which stays with the relay.
     */
    public static String keyOf(String secret, String app, String environment) {
        return HmacSignature.sha256Hex(secret, (app + "/" + environment).getBytes(StandardCharsets.UTF_8));
    }

    @POST
    @Blocking
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Receive a backup or restore job's signed report")
    public Response receive(@HeaderParam("X-Relay-Delivery") String delivery,
            @HeaderParam("X-Relay-Signature-256") String signature, byte[] body) {
        return outcomes.record(PROVIDER, () -> {
            WebhookLimits.checkSize(body, config.webhook().maxBodyBytes());
            String secret = config.webhook().backup().secret().orElse(null);
            if (secret == null || secret.isEmpty()) {
                throw new RelayException(Reason.BAD_SIGNATURE, "No backup report secret is configured"
                        + " (relay.webhook.backup.secret): every report is refused");
            }
            if (signature == null || signature.isBlank()) {
                throw new RelayException(Reason.BAD_SIGNATURE, "The X-Relay-Signature-256 header is missing");
            }
            String deliveryId = WebhookLimits.requireHeader("X-Relay-Delivery", delivery);
            // Read before it is trusted, to know whose key signs it: each app and environment has a key of its own,
            // so that a team holding its backup job's key cannot report another app's backups.
            BackupReport report = BackupReports.parse(Json.parse(body),
                    Instant.now().plus(config.webhook().maxClockSkew()));
            if (!HmacSignature.matches(keyOf(secret, report.app(), report.environment()), body, signature,
                    "sha256=")) {
                throw new RelayException(Reason.BAD_SIGNATURE, "The X-Relay-Signature-256 signature does not match the"
                        + " body and the key of " + report.app() + "/" + report.environment());
            }
            AppSpec app = registry.app(report.app()).orElse(null);
            if (app == null) {
                // Refused, not ignored: a job reporting under a name no app has is misconfigured, and must fail.
                throw new RelayException(Reason.INVALID_CHANGE, "No app named " + report.app() + " is registered");
            }
            if (app.environment(report.environment()).isEmpty()) {
                throw new RelayException(Reason.INVALID_CHANGE, "App " + report.app() + " has no environment "
                        + report.environment());
            }
            // The delivery id is not signed: the body's digest goes into the event id too, so a report resent under a
            // new id is still the same event, and another report under a reused id is another.
            RelayEvent event = RelayEvent.of(EventCodec.stableId(PROVIDER, deliveryId, HmacSignature.sha256Hex(PROVIDER,
                    body)), "/webhooks/" + PROVIDER,
                    report.eventType(), report.app(), Instant.now(), EventCodec.toData(report));
            publisher.publish(Topics.BACKUPS, event);
            return new WebhookAnswer(List.of(event.id()), null, null);
        });
    }
}
