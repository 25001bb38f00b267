package org.gitopsrelay.pipeline;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.gitopsrelay.app.AppRegistry;
import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.app.RegistrySync;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.deploy.DeployPushToEnvironment;
import org.gitopsrelay.deploy.Routing;
import org.gitopsrelay.event.ClaimedTimes;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.preview.ClosePreview;
import org.gitopsrelay.preview.OpenPreview;
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
    private final OpenPreview openPreview;
    private final ClosePreview closePreview;
    private final MeterRegistry metrics;
    private final RelayConfig config;
    private final Clock clock;

    @Inject
    public GitEventHandlers(AppRegistry registry, RegistrySync registrySync, DeployPushToEnvironment deployPush,
            OpenPreview openPreview, ClosePreview closePreview, MeterRegistry metrics, RelayConfig config,
            Clock clock) {
        this.registry = registry;
        this.registrySync = registrySync;
        this.deployPush = deployPush;
        this.openPreview = openPreview;
        this.closePreview = closePreview;
        this.metrics = metrics;
        this.config = config;
        this.clock = clock;
    }

    public void handle(RelayEvent event) {
        long started = System.nanoTime();
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
                return;
            }
            handled(event, "-", "ignored", started);
            LOG.warnf("Event %s is for app %s, which is no longer registered: ignored", event.id(), event.app());
            return;
        }
        // Ingest picked the app by the repository; the record's subject alone must not let one repository's pushes
        // deploy another app (a record written to the topic by something else, or an app that moved its source).
        if (!change.repo().equals(app.get().source())) {
            handled(event, "-", "wrong-source", started);
            LOG.warnf("Event %s comes from repository %s, but app %s is built from %s: refused", event.id(),
                    change.repo(), event.app(), app.get().source());
            return;
        }
        change = trustedTimes(event, change);
        Optional<String> ignored = Routing.ignoredBy(app.get(), change);
        if (ignored.isPresent()) {
            handled(event, "-", "ignored", started);
            LOG.infof("Event %s ignored: %s", event.id(), ignored.get());
            return;
        }
        if (change instanceof GitChange.Push push) {
            handlePush(event, app.get(), push, started);
        } else if (change instanceof GitChange.PullRequest pr) {
            handled(event, "pr-" + pr.number(), Routing.CLOSED.equals(pr.action())
                    ? closePreview.forPullRequest(event, app.get(), pr)
                    : openPreview.forPullRequest(event, app.get(), pr), started);
        } else if (change instanceof GitChange.RefDeleted deleted) {
            handled(event, "branch preview", closePreview.forBranch(event, app.get(), deleted.refName(), null),
                    started);
        }
        registrySync.refreshFromCache();
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

    private void handlePush(RelayEvent event, AppSpec app, GitChange.Push push, long started) {
        if (push.deleted()) {
            handled(event, "branch preview", closePreview.forBranch(event, app, push.refName(), push.pushedAt()),
                    started);
            return;
        }
        List<DeployPushToEnvironment.Result> results = deployPush.handle(event, app, push);
        results.forEach(result -> handled(event, result.environment(), result.outcome(), started));
        if (Routing.feedsBranchPreview(app, push)) {
            handled(event, "branch preview", openPreview.forBranch(event, app, push), started);
        }
        // A change that cannot be deployed as it is goes to the dead-letter topic too, to be replayed once the
        // overlay or app.yaml is fixed; its failed event is already published.
        results.stream().flatMap(result -> result.failure().stream()).findFirst().ifPresent(failure -> {
            throw failure;
        });
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
