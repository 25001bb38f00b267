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
        String stillRefreshing = null;
        if (events.isEmpty() && leftOut.isEmpty()) {
            // A repository no app registers may be an app onboarded moments ago: not knowing is a 503 (the delivery
            // can be redelivered), never a quiet "ignored". A registered repository's ref that no environment
            // follows (most feature-branch pushes) is looked at again too, but never refused: a sender that sees
            // failures for every such push may disable the webhook.
            boolean known = !apps.isEmpty();
            Refresh refresh = awaitRefresh(!known);
            if (refresh == Refresh.DONE) {
                apps = registry.appsFor(change.repo());
                events = events(provider, deliveryId, change, apps);
            } else if (refresh == Refresh.STILL_RUNNING) {
                stillRefreshing = " (the app registry's refresh from the GitOps remote did not end within "
                        + config.webhook().registryWait().toMillis() + " ms)";
            }
        }
        Map<String, String> ignored = new LinkedHashMap<>();
        for (AppSpec app : apps) {
            Routing.ignoredBy(app, change).ifPresent(reason -> ignored.put(app.name(), reason));
        }
        for (String app : leftOut) {
            events.add(event(provider, deliveryId, change, app));
        }
        if (events.isEmpty()) {
            return WebhookAnswer.ignored((ignored.isEmpty() ? "no app registers repository " + change.repo()
                    : String.join("; ", ignored.values())) + (stillRefreshing == null ? "" : stillRefreshing));
        }
        publisher.publish(Topics.GIT_EVENTS, events);
        return new WebhookAnswer(events.stream().map(RelayEvent::id).toList(), null, ignored.isEmpty() ? null : ignored);
    }

    /** Apps left out of the registry that this change's closing still concerns: their previews must go too. */
    private List<String> leftOut(GitChange change) {
        return Routing.closesPreviews(change) ? registry.leftOutAppsFor(change.repo()) : List.of();
    }

    /** How waiting for the registry's refresh ended. */
    private enum Refresh {
        DONE,
        /** The last refresh ended moments ago: the registry is as fresh as it gets. */
        NOT_DUE,
        FAILED,
        STILL_RUNNING
    }

    /**
     * Waits for the registry's refresh. With {@code mustKnow}, a refresh still running after the wait is a 503
     * {@code registry-refreshing}, and one that failed a 503 {@code git-unavailable}: answering "ignored" would drop
     * an event that a refreshed registry may route.
     */
    private Refresh awaitRefresh(boolean mustKnow) {
        Optional<CompletableFuture<Void>> refresh = registrySync.refreshOnDemand();
        if (refresh.isEmpty()) {
            return Refresh.NOT_DUE;
        }
        Duration wait = config.webhook().registryWait();
        try {
            refresh.get().get(wait.toMillis(), TimeUnit.MILLISECONDS);
            return Refresh.DONE;
        } catch (ExecutionException e) {
            if (mustKnow) {
                throw new RelayException(Reason.GIT_UNAVAILABLE, "The app registry cannot be refreshed from the"
                        + " GitOps remote (" + e.getCause().getMessage() + "), so whether an app registers this"
                        + " repository is not known: redeliver it once the remote is back", e.getCause());
            }
            return Refresh.FAILED;
        } catch (TimeoutException e) {
            if (mustKnow) {
                throw refreshing(wait);
            }
            return Refresh.STILL_RUNNING;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw refreshing(wait);
        }
    }

    private static RelayException refreshing(Duration wait) {
        return new RelayException(Reason.REGISTRY_REFRESHING, "The app registry is being refreshed from the GitOps"
                + " remote and was not ready within " + wait.toMillis() + " ms (relay.webhook.registry-wait); no app"
                + " registers this repository yet: redeliver it in a few seconds (GitHub: Recent Deliveries, Redeliver)",
                RETRY_AFTER_REFRESH);
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
