package org.gitopsrelay.preview;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.gitopsrelay.app.AppRegistry;
import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.config.Role;
import org.gitopsrelay.config.Roles;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.EventTypes;
import org.gitopsrelay.event.Preview;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.gitops.GitOpsRepository;
import org.gitopsrelay.gitops.Snapshot;
import org.gitopsrelay.shared.RelayException;
import org.jboss.logging.Logger;

import io.quarkus.scheduler.Scheduled;

/**
 * Removes previews whose expiry has passed (each push renews it by the app's {@code previews.ttl}), one commit each,
 * publishing {@code relay.preview.expired}. Every replica may sweep: removing what is already gone does nothing.
 */
@ApplicationScoped
public class SweepExpiredPreviews {

    private static final Logger LOG = Logger.getLogger(SweepExpiredPreviews.class);

    private final GitOpsRepository repository;
    private final AppRegistry registry;
    private final PreviewWriter writer;
    private final Clock clock;
    private final Roles roles;

    @Inject
    public SweepExpiredPreviews(GitOpsRepository repository, AppRegistry registry, PreviewWriter writer, Clock clock,
            Roles roles) {
        this.repository = repository;
        this.registry = registry;
        this.writer = writer;
        this.clock = clock;
        this.roles = roles;
    }

    @Scheduled(every = "${relay.previews.sweep-interval:PT5M}", delayed = "${relay.previews.sweep-interval:PT5M}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        if (!roles.runs(Role.HANDLERS)) {
            return;
        }
        try {
            sweep(clock.instant());
        } catch (RelayException e) {
            LOG.warnf("Preview sweep skipped: %s", e.getMessage());
        }
    }

    /**
     * Removes every preview that expired before {@code now}; returns their folders. Previews of apps the registry
     * leaves out (app.yaml deleted or invalid) expire too: nothing else would ever remove them.
     */
    public List<String> sweep(Instant now) {
        Snapshot snapshot = repository.fetch();
        List<String> removed = new ArrayList<>();
        for (String folder : snapshot.folders("apps")) {
            Optional<AppSpec> app = registry.app(folder);
            for (Preview preview : PreviewCatalog.of(snapshot, folder)) {
                if (preview.expiresAt() != null && preview.expiresAt().isBefore(now)) {
                    RelayEvent trigger = RelayEvent.of(
                            EventCodec.stableId("preview-expired", folder, preview.slug(),
                                    preview.expiresAt().toString()),
                            "/previews/sweep", EventTypes.PREVIEW_EXPIRED, folder, now,
                            EventCodec.JSON.createObjectNode());
                    String reason = "expired at " + preview.expiresAt() + " after no activity";
                    if (app.isPresent()) {
                        writer.remove(trigger, app.get(), preview.slug(), EventTypes.PREVIEW_EXPIRED, reason, now,
                                preview.expiresAt());
                    } else {
                        writer.removeOfUnregistered(trigger, folder, preview.slug(), EventTypes.PREVIEW_EXPIRED,
                                reason + " (app " + folder + " is not registered)", now, preview.expiresAt());
                    }
                    removed.add(preview.folder());
                }
            }
        }
        return removed;
    }
}
