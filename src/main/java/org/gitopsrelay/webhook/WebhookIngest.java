package org.gitopsrelay.webhook;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.gitopsrelay.app.AppRegistry;
import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.app.RegistrySync;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.deploy.Routing;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.kafka.EventPublisher;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;

/**
 * The provider-neutral half of ingest: finds the apps a change concerns, writes one event per app to
 * {@code relay.git-events} (keyed by app) and waits for Kafka's acknowledgement. Event ids derive from the delivery
 * id, so a redelivered delivery yields the same ids and the handlers' idempotence makes it a no-op.
 */
@ApplicationScoped
public class WebhookIngest {

    /** When a delivery is told to come back after the registry's refresh outlasted its wait. */
    static final Duration RETRY_AFTER_REFRESH = Duration.ofSeconds(5);

    private final AppRegistry registry;
    private final RegistrySync registrySync;
    private final EventPublisher publisher;
    private final RelayConfig config;

    @Inject
    public WebhookIngest(AppRegistry registry, RegistrySync registrySync, EventPublisher publisher,
            RelayConfig config) {
        this.registry = registry;
        this.registrySync = registrySync;
        this.publisher = publisher;
        this.config = config;
    }

    /**
     * A change the registry routes is published at once. One it does not (an unknown repository, a ref no
     * environment follows) may concern an app or environment registered moments ago: it waits, at most
     * {@code relay.webhook.registry-wait}, for the registry's refresh, which runs on a thread of its own.
     */
    public WebhookAnswer accept(String provider, String deliveryId, GitChange change) {
        List<AppSpec> apps = registry.appsFor(change.repo());
        List<String> leftOut = leftOut(change);
        List<RelayEvent> events = events(provider, deliveryId, change, apps);
        if (events.isEmpty() && leftOut.isEmpty() && awaitRefresh()) {
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

    /**
     * Waits for the registry's refresh; true when one completed, false when none was due or it failed (the registry
     * as it is then decides). A refresh still running after the wait is a 503: answering "ignored" would drop an
     * event that a refreshed registry may route.
     */
    private boolean awaitRefresh() {
        Optional<CompletableFuture<Void>> refresh = registrySync.refreshOnDemand();
        if (refresh.isEmpty()) {
            return false;
        }
        Duration wait = config.webhook().registryWait();
        try {
            refresh.get().get(wait.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException e) {
            return false;
        } catch (TimeoutException e) {
            throw refreshing(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw refreshing(wait);
        }
    }

    private static RelayException refreshing(Duration wait) {
        return new RelayException(Reason.REGISTRY_REFRESHING, "The app registry is being refreshed from the GitOps"
                + " remote and was not ready within " + wait.toMillis() + " ms (relay.webhook.registry-wait); no app"
                + " routes this delivery yet: redeliver it in a few seconds", RETRY_AFTER_REFRESH);
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
