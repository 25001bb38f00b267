package org.gitopsrelay.pipeline;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.gitopsrelay.app.AppRegistry;
import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.app.RegistrySync;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.deploy.DeployPushToEnvironment;
import org.gitopsrelay.deploy.EnvironmentActions;
import org.gitopsrelay.deploy.Routing;
import org.gitopsrelay.event.ClaimedTimes;
import org.gitopsrelay.event.EnvironmentAction;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.kafka.EventPublisher;
import org.gitopsrelay.preview.ClosePreview;
import org.gitopsrelay.preview.OpenPreview;
import org.gitopsrelay.preview.PreviewCoalescing;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayMetrics;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

import io.micrometer.core.instrument.MeterRegistry;

/** Sends each git event to the handler for its kind, then publishes what the handler did. */
@ApplicationScoped
public class GitEventHandlers {

    private static final Logger LOG = Logger.getLogger(GitEventHandlers.class);
    private static final Logger HANDLED = Logger.getLogger("gitops-relay.handled");

    private final AppRegistry registry;
    private final RegistrySync registrySync;
    private final DeployPushToEnvironment deployPush;
    private final EnvironmentActions environmentActions;
    private final OpenPreview openPreview;
    private final ClosePreview closePreview;
    private final EventPublisher publisher;
    private final MeterRegistry metrics;
    private final RelayConfig config;
    private final Clock clock;

    @Inject
    public GitEventHandlers(AppRegistry registry, RegistrySync registrySync, DeployPushToEnvironment deployPush,
            EnvironmentActions environmentActions, OpenPreview openPreview, ClosePreview closePreview, EventPublisher publisher, MeterRegistry metrics,
            RelayConfig config, Clock clock) {
        this.registry = registry;
        this.registrySync = registrySync;
        this.deployPush = deployPush;
        this.environmentActions = environmentActions;
        this.openPreview = openPreview;
        this.closePreview = closePreview;
        this.publisher = publisher;
        this.metrics = metrics;
        this.config = config;
        this.clock = clock;
    }

    /** What became of one event of a batch. */
    public sealed interface Handled {

        /** Every part of the event is done (deployed, superseded, ignored, ...). */
        record Done() implements Handled {
        }

        /** A part failed: retried later when the reason is retryable, else dead-lettered. */
        record Failed(RelayException error) implements Handled {
        }

        /** Not handled, to keep its app's order: an earlier event of the same app failed and will be retried first. */
        record Held(String behind) implements Handled {
        }
    }

    /** Handles one event; a failure is thrown. */
    public void handle(RelayEvent event) {
        Handled handled = handleAll(List.of(event)).get(0);
        if (handled instanceof Handled.Failed failed) {
            throw failed.error();
        }
    }

    /**
     * Handles a batch of events, in Kafka's order per app. Pushes to environments are deployed together (see
     * {@link DeployPushToEnvironment#handleAll}: the newest per environment, one GitOps push for all); previews are
     * opened and closed one event after the other, a run of updates of one preview as its newest alone (see
     * {@link PreviewCoalescing}), and an app whose preview event failed has its later preview events held back, so
     * they cannot overtake it when it is retried. Returns what became of each event, in order.
     */
    public List<Handled> handleAll(List<RelayEvent> events) {
        // An action (a promotion, a rollback, a restart) reads what the pushes before it did and is read by those
        // after it: the batch is cut around it, so that everything applies in Kafka's order. An app whose event
        // failed and will be tried again has its later events held behind it, so none overtakes it.
        List<Handled> handled = new ArrayList<>(java.util.Collections.nCopies(events.size(), new Handled.Done()));
        Map<String, String> failedApps = new HashMap<>();
        int start = 0;
        for (int i = 0; i <= events.size(); i++) {
            Optional<EnvironmentAction> action = i < events.size() ? actionOf(events.get(i)) : Optional.empty();
            if (i < events.size() && action.isEmpty()) {
                continue;
            }
            handleRun(events, start, i, handled, failedApps);
            if (i < events.size()) {
                RelayEvent event = events.get(i);
                String behind = failedApps.get(event.app());
                handled.set(i, behind != null ? new Handled.Held(behind) : handleAction(event, action.get()));
                noteFailure(event, handled.get(i), failedApps);
            }
            start = i + 1;
        }
        return handled;
    }

    /** The changes (no action) of events {@code from} to {@code to}, but for those of apps held behind a failure. */
    private void handleRun(List<RelayEvent> events, int from, int to, List<Handled> handled,
            Map<String, String> failedApps) {
        List<Integer> indexes = new ArrayList<>();
        List<RelayEvent> run = new ArrayList<>();
        for (int k = from; k < to; k++) {
            String behind = failedApps.get(events.get(k).app());
            if (behind != null) {
                handled.set(k, new Handled.Held(behind));
            } else {
                indexes.add(k);
                run.add(events.get(k));
            }
        }
        List<Handled> results = handleChanges(run);
        for (int j = 0; j < run.size(); j++) {
            handled.set(indexes.get(j), results.get(j));
            noteFailure(run.get(j), results.get(j), failedApps);
        }
    }

    private static void noteFailure(RelayEvent event, Handled result, Map<String, String> failedApps) {
        if (result instanceof Handled.Failed failed && failed.error().reason().retryable()) {
            failedApps.putIfAbsent(event.app(), event.id());
        } else if (result instanceof Handled.Held held) {
            failedApps.putIfAbsent(event.app(), held.behind());
        }
    }

    private static Optional<EnvironmentAction> actionOf(RelayEvent event) {
        try {
            return EventCodec.action(event);
        } catch (IllegalArgumentException e) {
            // Unreadable: left to the change path, which dead-letters it with its reason.
            return Optional.empty();
        }
    }

    /** An action asked for through the API, applied on its own; its outcome published before it counts as done. */
    private Handled handleAction(RelayEvent event, EnvironmentAction action) {
        long started = System.nanoTime();
        Optional<AppSpec> app = registry.app(event.app());
        if (app.isEmpty() || !app.get().name().equals(action.app())) {
            handled(event, action.target(), "ignored", started);
            LOG.warnf("Action %s is for app %s, which is not registered (or not the record's subject): ignored",
                    event.id(), action.app());
            return new Handled.Done();
        }
        try {
            EnvironmentActions.Result result = environmentActions.handle(event, app.get(), action);
            if (result instanceof EnvironmentActions.Result.Refused refused) {
                publisher.publish(Topics.DEPLOYMENTS, refused.event());
                handled(event, action.target(), "failed", started);
                return new Handled.Failed(refused.error());
            }
            Optional<RelayEvent> outcome = ((EnvironmentActions.Result.Done) result).event();
            if (outcome.isPresent()) {
                publisher.publish(Topics.DEPLOYMENTS, outcome.get());
            }
            handled(event, action.target(), outcome.isPresent() ? "committed" : "unchanged", started);
            try {
                registrySync.refreshFromCache();
            } catch (RuntimeException e) {
                LOG.warnf(e, "Cannot refresh the app registry from the GitOps cache after action %s", event.id());
            }
            return new Handled.Done();
        } catch (RuntimeException e) {
            return new Handled.Failed(RelayException.of(e));
        }
    }

    private List<Handled> handleChanges(List<RelayEvent> events) {
        if (events.isEmpty()) {
            return List.of();
        }
        long started = System.nanoTime();
        List<Handled> handled = new ArrayList<>(java.util.Collections.nCopies(events.size(), new Handled.Done()));
        List<Routed> routed = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            try {
                route(events.get(i), i, started).ifPresent(routed::add);
            } catch (RuntimeException e) {
                handled.set(i, new Handled.Failed(RelayException.of(e)));
            }
        }
        deployAll(routed, handled, started);
        List<PreviewCoalescing.Item<Routed>> previewParts = routed.stream().filter(Routed::hasPreviewPart)
                .map(each -> new PreviewCoalescing.Item<>(each, each.app().name(), each.change())).toList();
        Map<String, String> failedApps = new HashMap<>();
        for (PreviewCoalescing.Handle<Routed> handle : PreviewCoalescing.plan(previewParts)) {
            Routed each = handle.event();
            String behind = failedApps.get(each.app().name());
            if (behind != null) {
                handled.set(each.index(), new Handled.Held(behind));
            } else {
                try {
                    handlePreviewPart(each, handle.superseded(), started);
                } catch (RuntimeException e) {
                    handled.set(each.index(),
                            worst(handled.get(each.index()), new Handled.Failed(RelayException.of(e))));
                }
            }
            supersededShare(handle, handled, started);
            if (handled.get(each.index()) instanceof Handled.Failed failed && failed.error().reason().retryable()) {
                failedApps.put(each.app().name(), each.event().id());
            }
        }
        if (routed.stream().anyMatch(each -> handled.get(each.index()) instanceof Handled.Done)) {
            try {
                registrySync.refreshFromCache();
            } catch (RuntimeException e) {
                // The registry refreshes on its own schedule too; what the batch did is done.
                LOG.warnf(e, "Cannot refresh the app registry from the GitOps cache after a batch");
            }
        }
        return handled;
    }

    /**
     * The app and trusted change of an event with work to do; empty when the event is settled here (ignored,
     * refused, or a closing for a left-out app).
     */
    private Optional<Routed> route(RelayEvent event, int index, long started) {
        GitChange change;
        try {
            change = EventCodec.gitChange(event);
        } catch (IllegalArgumentException e) {
            throw new RelayException(RelayException.Reason.UNREADABLE_EVENT, e.getMessage(), e);
        }
        Optional<AppSpec> app = registry.app(event.app());
        if (app.isEmpty()) {
            // Ingest knew the app; this process may not have seen the commit that registered it yet.
            registrySync.refresh();
            app = registry.app(event.app());
        }
        if (app.isEmpty()) {
            if (Routing.closesPreviews(change)
                    && registry.leftOutSource(event.app()).filter(change.repo()::equals).isPresent()) {
                // The app is left out (its app.yaml is invalid), but its previews must not outlive it.
                handled(event, "preview", closePreview.ofLeftOutApp(event, event.app(), trustedTimes(event, change)),
                        started);
                return Optional.empty();
            }
            handled(event, "-", "ignored", started);
            LOG.warnf("Event %s is for app %s, which is no longer registered: ignored", event.id(), event.app());
            return Optional.empty();
        }
        // Ingest picked the app by the repository; the record's subject alone must not let one repository's pushes
        // deploy another app (a record written to the topic by something else, or an app that moved its source).
        if (!change.repo().equals(app.get().source())) {
            handled(event, "-", "wrong-source", started);
            LOG.warnf("Event %s comes from repository %s, but app %s is built from %s: refused", event.id(),
                    change.repo(), event.app(), app.get().source());
            return Optional.empty();
        }
        change = trustedTimes(event, change);
        Optional<String> ignored = Routing.ignoredBy(app.get(), change);
        if (ignored.isPresent()) {
            handled(event, "-", "ignored", started);
            LOG.infof("Event %s ignored: %s", event.id(), ignored.get());
            return Optional.empty();
        }
        return Optional.of(new Routed(index, event, app.get(), change));
    }

    /** An event with work to do: where it stands in the batch, its app, and its change with trusted times. */
    private record Routed(int index, RelayEvent event, AppSpec app, GitChange change) {

        /** A push to a branch or tag (not its deletion): it may deploy to environments. */
        Optional<GitChange.Push> deploys() {
            return change instanceof GitChange.Push push && !push.deleted() ? Optional.of(push) : Optional.empty();
        }

        boolean hasPreviewPart() {
            return deploys().isEmpty() || Routing.feedsBranchPreview(app, (GitChange.Push) change);
        }
    }

    private void deployAll(List<Routed> routed, List<Handled> handled, long started) {
        List<Routed> pushes = routed.stream().filter(each -> each.deploys().isPresent()).toList();
        if (pushes.isEmpty()) {
            return;
        }
        List<List<DeployPushToEnvironment.Result>> results;
        try {
            results = deployPush.handleAll(pushes.stream()
                    .map(each -> new DeployPushToEnvironment.Request(each.event(), each.app(), each.deploys().get()))
                    .toList());
        } catch (RuntimeException e) {
            RelayException failure = RelayException.of(e);
            pushes.forEach(each -> handled.set(each.index(), new Handled.Failed(failure)));
            return;
        }
        publishOutcomes(pushes, results, handled);
        for (int k = 0; k < pushes.size(); k++) {
            Routed each = pushes.get(k);
            if (handled.get(each.index()) instanceof Handled.Failed) {
                continue;
            }
            for (DeployPushToEnvironment.Result result : results.get(k)) {
                Optional<RelayException> failure = result.failure();
                if (failure.isEmpty() || !failure.get().reason().retryable()) {
                    handled(each.event(), result.environment(), result.outcome(), started);
                }
                // A change that cannot be deployed as it is goes to the dead-letter topic too, to be replayed once
                // the overlay or app.yaml is fixed; its failed event is already published.
                if (failure.isPresent()) {
                    handled.set(each.index(), worst(handled.get(each.index()), new Handled.Failed(failure.get())));
                }
            }
        }
    }

    /**
     * Publishes what the pushes did, in one write; when Kafka refuses the write (a record too large, no permission),
     * each event's outcomes are written on their own, so that the refusal is the refused event's alone. An event
     * whose outcome was not written is tried again: it finds its commit there and publishes again.
     */
    private void publishOutcomes(List<Routed> pushes, List<List<DeployPushToEnvironment.Result>> results,
            List<Handled> handled) {
        List<RelayEvent> outcomes = results.stream().flatMap(List::stream)
                .flatMap(result -> result.event().stream()).toList();
        if (outcomes.isEmpty()) {
            return;
        }
        try {
            publisher.publish(Topics.DEPLOYMENTS, outcomes);
            return;
        } catch (RelayException e) {
            if (e.reason().retryable()) {
                pushes.forEach(each -> handled.set(each.index(), new Handled.Failed(e)));
                return;
            }
        }
        for (int k = 0; k < pushes.size(); k++) {
            List<RelayEvent> own = results.get(k).stream().flatMap(result -> result.event().stream()).toList();
            try {
                if (!own.isEmpty()) {
                    publisher.publish(Topics.DEPLOYMENTS, own);
                }
            } catch (RelayException e) {
                handled.set(pushes.get(k).index(), new Handled.Failed(e));
            }
        }
    }

    /**
     * The older updates a preview event stood for share what became of it: superseded when it was done, failed or
     * held with it otherwise (tried again together, the newest of them then handled again).
     */
    private void supersededShare(PreviewCoalescing.Handle<Routed> handle, List<Handled> handled, long started) {
        Handled newest = handled.get(handle.event().index());
        for (Routed older : handle.superseded()) {
            if (newest instanceof Handled.Done) {
                handled(older.event(), previewLabel(older.change()), "superseded", started);
                LOG.infof("Preview event %s of %s superseded by the newer %s in the same batch", older.event().id(),
                        older.app().name(), handle.event().event().id());
            } else if (newest instanceof Handled.Failed failed) {
                handled.set(older.index(), worst(handled.get(older.index()), failed));
            } else if (handled.get(older.index()) instanceof Handled.Done) {
                handled.set(older.index(), newest);
            }
        }
    }

    private static String previewLabel(GitChange change) {
        return change instanceof GitChange.PullRequest pr ? "pr-" + pr.number() : "branch preview";
    }

    private void handlePreviewPart(Routed each, List<Routed> superseded, long started) {
        RelayEvent event = each.event();
        AppSpec app = each.app();
        GitChange change = each.change();
        List<String> supersededIds = superseded.stream().map(older -> older.event().id()).toList();
        String outcome;
        if (change instanceof GitChange.Push push) {
            outcome = push.deleted() ? closePreview.forBranch(event, app, push.refName(), push.pushedAt())
                    : openPreview.forBranch(event, app, push, supersededIds);
        } else if (change instanceof GitChange.PullRequest pr) {
            outcome = Routing.CLOSED.equals(pr.action()) ? closePreview.forPullRequest(event, app, pr)
                    : openPreview.forPullRequest(event, app, pr, supersededIds);
        } else if (change instanceof GitChange.RefDeleted deleted) {
            outcome = closePreview.forBranch(event, app, deleted.refName(), null);
        } else {
            return;
        }
        handled(event, previewLabel(change), outcome, started);
    }

    /** A retryable failure wins over a final one: the event is tried again as a whole, its done parts doing nothing. */
    private static Handled worst(Handled current, Handled.Failed next) {
        if (current instanceof Handled.Failed failed
                && (failed.error().reason().retryable() || !next.error().reason().retryable())) {
            return current;
        }
        return next;
    }


    /**
     * The change with no time further ahead of its receipt than the allowed clock skew. The event's own time (set
     * by ingest) counts as the receipt unless it too lies ahead of this process's clock.
     */
    private GitChange trustedTimes(RelayEvent event, GitChange change) {
        Instant now = clock.instant();
        Instant received = event.time() == null || event.time().isAfter(now) ? now : event.time();
        GitChange clamped = ClaimedTimes.clamp(change, received, config.webhook().maxClockSkew());
        if (clamped != change) {
            metrics.counter(RelayMetrics.CLAIMED_TIMES_CLAMPED, "type", event.type()).increment();
            LOG.warnf("Event %s claims a time more than %s after it was received (%s): taken as %s, so that it cannot"
                    + " make later changes look older", event.id(), config.webhook().maxClockSkew(), received,
                    received);
        }
        return clamped;
    }

    /**
     * One log line per event and environment (or preview) it touched, with its id, app, environment, outcome and
     * duration also in the MDC, so that JSON logs can be searched by any of them; and the outcome counted.
     */
    private void handled(RelayEvent event, String environment, String outcome, long started) {
        metrics.counter(RelayMetrics.EVENTS_HANDLED, "type", event.type(), "outcome", outcome).increment();
        long millis = (System.nanoTime() - started) / 1_000_000;
        MDC.put("eventId", event.id());
        MDC.put("app", event.app());
        MDC.put("environment", environment);
        MDC.put("outcome", outcome);
        MDC.put("durationMs", String.valueOf(millis));
        try {
            HANDLED.infof("Handled %s %s for %s/%s: %s in %d ms", event.type(), event.id(), event.app(), environment,
                    outcome, millis);
        } finally {
            MDC.remove("eventId");
            MDC.remove("app");
            MDC.remove("environment");
            MDC.remove("outcome");
            MDC.remove("durationMs");
        }
    }
}
