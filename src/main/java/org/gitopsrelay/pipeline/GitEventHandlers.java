package org.gitopsrelay.pipeline;

import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.gitopsrelay.app.AppRegistry;
import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.app.RegistrySync;
import org.gitopsrelay.deploy.DeployPushToEnvironment;
import org.gitopsrelay.deploy.Routing;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.monitor.RelayMetrics;
import org.gitopsrelay.preview.ClosePreview;
import org.gitopsrelay.preview.OpenPreview;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;

/** Sends each git event to the handler for its kind, then publishes what the handler did. */
@ApplicationScoped
public class GitEventHandlers {

    private static final Logger LOG = Logger.getLogger(GitEventHandlers.class);

    private final AppRegistry registry;
    private final RegistrySync registrySync;
    private final DeployPushToEnvironment deployPush;
    private final OpenPreview openPreview;
    private final ClosePreview closePreview;
    private final MeterRegistry metrics;

    @Inject
    public GitEventHandlers(AppRegistry registry, RegistrySync registrySync, DeployPushToEnvironment deployPush,
            OpenPreview openPreview, ClosePreview closePreview, MeterRegistry metrics) {
        this.registry = registry;
        this.registrySync = registrySync;
        this.deployPush = deployPush;
        this.openPreview = openPreview;
        this.closePreview = closePreview;
        this.metrics = metrics;
    }

    public void handle(RelayEvent event) {
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
            count(event, "ignored");
            LOG.warnf("Event %s is for app %s, which is no longer registered: ignored", event.id(), event.app());
            return;
        }
        Optional<String> ignored = Routing.ignoredBy(app.get(), change);
        if (ignored.isPresent()) {
            count(event, "ignored");
            LOG.infof("Event %s ignored: %s", event.id(), ignored.get());
            return;
        }
        if (change instanceof GitChange.Push push) {
            handlePush(event, app.get(), push);
        } else if (change instanceof GitChange.PullRequest pr) {
            count(event, Routing.CLOSED.equals(pr.action()) ? closePreview.forPullRequest(event, app.get(), pr)
                    : openPreview.forPullRequest(event, app.get(), pr));
        } else if (change instanceof GitChange.RefDeleted deleted) {
            count(event, closePreview.forBranch(event, app.get(), deleted.refName(), null));
        }
        registrySync.refreshFromCache();
    }

    private void handlePush(RelayEvent event, AppSpec app, GitChange.Push push) {
        if (push.deleted()) {
            count(event, closePreview.forBranch(event, app, push.refName(), push.pushedAt()));
            return;
        }
        List<DeployPushToEnvironment.Result> results = deployPush.handle(event, app, push);
        results.forEach(result -> count(event, result.outcome()));
        if (Routing.feedsBranchPreview(app, push)) {
            count(event, openPreview.forBranch(event, app, push));
        }
        // A change that cannot be deployed as it is goes to the dead-letter topic too, to be replayed once the
        // overlay or app.yaml is fixed; its failed event is already published.
        results.stream().flatMap(result -> result.failure().stream()).findFirst().ifPresent(failure -> {
            throw failure;
        });
    }

    private void count(RelayEvent event, String outcome) {
        metrics.counter(RelayMetrics.EVENTS_HANDLED, "type", event.type(), "outcome", outcome).increment();
    }
}
