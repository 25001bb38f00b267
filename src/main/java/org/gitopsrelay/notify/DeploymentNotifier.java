package org.gitopsrelay.notify;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.EventTypes;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.pipeline.SeenEvents;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The notifier role: its own consumer group on {@code relay.deployments}. With no Mattermost configured (the only
 * sink so far), each notification is a log line.
 */
@ApplicationScoped
public class DeploymentNotifier {

    public static final String CHANNEL = "deployments-notifier";
    private static final Logger LOG = Logger.getLogger("gitops-relay.notifications");

    private final SeenEvents seen = new SeenEvents(10_000);

    @Incoming(CHANNEL)
    public void notify(String value) {
        RelayEvent event;
        try {
            event = EventCodec.decode(value);
        } catch (IllegalArgumentException e) {
            LOG.warnf("Notifier skipped an unreadable record on relay.deployments: %s", e.getMessage());
            return;
        }
        if (!seen.firstTime(event.id())) {
            return;
        }
        JsonNode data = event.data();
        switch (event.type()) {
            case EventTypes.DEPLOYMENT_COMMITTED -> LOG.infof("[%s] %s now runs %s (GitOps commit %s)", event.app(),
                    data.path("environment").asText(), data.path("image").asText(), data.path("gitopsCommit").asText());
            case EventTypes.DEPLOYMENT_FAILED -> LOG.warnf("[%s] deployment to %s failed: %s", event.app(),
                    data.path("environment").asText(), data.path("error").asText());
            case EventTypes.APP_INVALID -> LOG.warnf("[%s] app.yaml is invalid: %s", event.app(),
                    data.path("problems").asText());
            default -> LOG.debugf("[%s] %s", event.app(), event.type());
        }
    }
}
