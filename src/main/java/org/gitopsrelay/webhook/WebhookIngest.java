package org.gitopsrelay.webhook;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.gitopsrelay.app.AppRegistry;
import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.app.RegistrySync;
import org.gitopsrelay.deploy.Routing;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.pipeline.EventPublisher;

/**
 * The provider-neutral half of ingest: finds the apps a change concerns, writes one event per app to
 * {@code relay.git-events} (keyed by app) and waits for Kafka's acknowledgement. Event ids derive from the delivery
 * id, so a redelivered delivery yields the same ids and the handlers' idempotence makes it a no-op.
 */
@ApplicationScoped
public class WebhookIngest {

    private final AppRegistry registry;
    private final RegistrySync registrySync;
    private final EventPublisher publisher;

    @Inject
    public WebhookIngest(AppRegistry registry, RegistrySync registrySync, EventPublisher publisher) {
        this.registry = registry;
        this.registrySync = registrySync;
        this.publisher = publisher;
    }

    public WebhookAnswer accept(String provider, String deliveryId, GitChange change) {
        List<AppSpec> apps = registry.appsFor(change.repo());
        if (apps.isEmpty() && leftOut(change).isEmpty() && registrySync.refreshIfStale()) {
            apps = registry.appsFor(change.repo());
        }
        List<String> leftOut = leftOut(change);
        if (apps.isEmpty() && leftOut.isEmpty()) {
            return WebhookAnswer.ignored("no app registers repository " + change.repo());
        }
        List<RelayEvent> events = events(provider, deliveryId, change, apps);
        if (events.isEmpty() && leftOut.isEmpty() && registrySync.refreshIfStale()) {
            // An environment added moments ago may follow this ref: look again before saying no.
            apps = registry.appsFor(change.repo());
            events = events(provider, deliveryId, change, apps);
        }
        Map<String, String> ignored = new LinkedHashMap<>();
        for (AppSpec app : apps) {
            Routing.ignoredBy(app, change).ifPresent(reason -> ignored.put(app.name(), reason));
        }
        for (String app : leftOut) {
            events.add(event(provider, deliveryId, change, app));
        }
        if (events.isEmpty()) {
            return WebhookAnswer.ignored(ignored.isEmpty() ? "no app registers repository " + change.repo()
                    : String.join("; ", ignored.values()));
        }
        publisher.publish(Topics.GIT_EVENTS, events);
        return new WebhookAnswer(events.stream().map(RelayEvent::id).toList(), null, ignored.isEmpty() ? null : ignored);
    }

    /** Apps left out of the registry that this change's closing still concerns: their previews must go too. */
    private List<String> leftOut(GitChange change) {
        return Routing.closesPreviews(change) ? registry.leftOutAppsFor(change.repo()) : List.of();
    }

    private static List<RelayEvent> events(String provider, String deliveryId, GitChange change, List<AppSpec> apps) {
        List<RelayEvent> events = new ArrayList<>();
        for (AppSpec app : apps) {
            if (Routing.ignoredBy(app, change).isEmpty()) {
                events.add(event(provider, deliveryId, change, app.name()));
            }
        }
        return events;
    }

    private static RelayEvent event(String provider, String deliveryId, GitChange change, String app) {
        return RelayEvent.of(EventCodec.stableId(provider, deliveryId, app), "/webhooks/" + provider, change.type(), app,
                Instant.now(), EventCodec.toData(change));
    }
}
