package org.gitopsrelay.preview;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.app.ImageTagTemplate;
import org.gitopsrelay.app.Namespaces;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.EventTypes;
import org.gitopsrelay.event.GitChange.RefKind;
import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.event.Preview;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.gitops.CommitOutcome;
import org.gitopsrelay.gitops.CommitText;
import org.gitopsrelay.gitops.GitOpsRepository;
import org.gitopsrelay.gitops.PlannedCommit;
import org.gitopsrelay.gitops.Snapshot;
import org.gitopsrelay.gitops.TreeEdit;
import org.gitopsrelay.pipeline.EventPublisher;
import org.gitopsrelay.pipeline.RelayException;
import org.gitopsrelay.pipeline.RelayException.Reason;
import org.gitopsrelay.render.OverlayCheck;
import org.jboss.logging.Logger;


/**
 * Creates, moves and removes preview overlays in the GitOps repository, one commit each, and publishes what it did
 * on {@code relay.deployments}. Every operation is idempotent: the desired state already there commits nothing.
 */
@ApplicationScoped
public class PreviewWriter {

    private static final Logger LOG = Logger.getLogger(PreviewWriter.class);

    /** What planning found. */
    enum Outcome {
        CREATED,
        UPDATED,
        UNCHANGED,
        STALE,
        REFUSED,
        REMOVED,
        ABSENT
    }

    private final GitOpsRepository repository;
    private final OverlayCheck overlayCheck;
    private final EventPublisher publisher;
    private final RelayConfig config;
    private final Clock clock;

    @Inject
    public PreviewWriter(GitOpsRepository repository, OverlayCheck overlayCheck, EventPublisher publisher,
            RelayConfig config, Clock clock) {
        this.repository = repository;
        this.overlayCheck = overlayCheck;
        this.publisher = publisher;
        this.config = config;
        this.clock = clock;
    }

    /**
     * Creates the preview, or moves it to the request's head commit and renews its expiry. A request that cannot be
     * deployed as it is (a policy, a tag, a render) is refused with {@code relay.preview.refused} and rethrown, so
     * that the event is dead-lettered for a replay once fixed.
     */
    public String upsert(RelayEvent trigger, AppSpec app, PreviewRequest request) {
        try {
            return upsertOrThrow(trigger, app, request);
        } catch (RelayException e) {
            if (!e.reason().retryable()) {
                LOG.warnf("Preview %s of %s refused: %s", request.slug(), app.name(), e.getMessage());
                publish(trigger, EventTypes.PREVIEW_REFUSED, partial(app, request), null, e.getMessage());
            }
            throw e;
        }
    }

    private String upsertOrThrow(RelayEvent trigger, AppSpec app, PreviewRequest request) {
        AtomicReference<Outcome> outcome = new AtomicReference<>();
        AtomicReference<Preview> result = new AtomicReference<>();
        AtomicReference<String> refusal = new AtomicReference<>();
        CommitOutcome commit = repository.apply(snapshot -> {
            String path = Preview.folderOf(app.name(), request.slug()) + "/kustomization.yaml";
            Optional<Preview> existing = snapshot.read(path).flatMap(yaml -> PreviewOverlay.read(app.name(),
                    request.slug(), yaml));
            if (existing.isPresent() && request.headCommit().equals(existing.get().headCommit())) {
                outcome.set(Outcome.UNCHANGED);
                result.set(existing.get());
                return Optional.empty();
            }
            if (existing.isPresent() && request.activityAt() != null && existing.get().updatedAt() != null
                    && request.activityAt().isBefore(existing.get().updatedAt())) {
                outcome.set(Outcome.STALE);
                return Optional.empty();
            }
            ClosedPreviews closed = ClosedPreviews.parse(snapshot.read(ClosedPreviews.path(app.name())));
            if (existing.isEmpty() && closed.closedSince(request.slug(), request.activityAt(), request.reopening())) {
                outcome.set(Outcome.STALE);
                return Optional.empty();
            }
            if (existing.isEmpty()) {
                int live = snapshot.folders("apps/" + app.name() + "/previews").size();
                if (live >= app.previews().max()) {
                    outcome.set(Outcome.REFUSED);
                    refusal.set("app " + app.name() + " already has " + live + " live previews, its cap"
                            + " (previews.max); the preview is created at the next push once one is closed or expires");
                    return Optional.empty();
                }
                requireComponent(snapshot, app);
                // On the snapshot this commit is planned on, not on the registry: of two writers racing for one
                // namespace, the second one's push is rejected, and its planning again sees the first one's folder.
                String namespace = PreviewOverlay.namespace(app.name(), request.slug());
                Namespaces.claimedByAnotherApp(snapshot, namespace, app.name()).ifPresent(owner -> {
                    throw new RelayException(Reason.INVALID_CHANGE, "Preview " + request.slug() + " of " + app.name()
                            + " would run in namespace " + namespace + ", which belongs to " + owner);
                });
            }
            Instant now = clock.instant();
            String tag = imageTag(app, request);
            String domain = app.previews().domain().orElse(config.previews().domain());
            Preview preview = new Preview(app.name(), request.slug(), request.kind(), request.pullRequest(),
                    request.branch(), request.author(), request.headCommit(), app.image() + ":" + tag,
                    PreviewOverlay.namespace(app.name(), request.slug()),
                    "https://" + PreviewOverlay.host(app.name(), request.slug(), domain),
                    existing.map(Preview::createdAt).orElse(now),
                    request.activityAt() == null ? now : request.activityAt(), now.plus(app.previews().ttl()));
            TreeEdit edit = new TreeEdit().write(path,
                    PreviewOverlay.write(app, preview, tag, trigger.id(), request.untrusted()));
            if (closed.contains(request.slug())) {
                edit.write(ClosedPreviews.path(app.name()), closed.reopen(request.slug()).toYaml());
            }
            PreviewPolicy.check(overlayCheck.render(snapshot, app.folder(), edit, preview.folder()), request.untrusted());
            outcome.set(existing.isPresent() ? Outcome.UPDATED : Outcome.CREATED);
            result.set(preview);
            String verb = existing.isPresent() ? "Update" : "Open";
            return Optional.of(new PlannedCommit(edit, verb + " preview " + preview.slug() + " of " + app.name() + ": "
                    + preview.url() + "\n\n" + describe(preview) + "\nImage: " + preview.image(), List.of(trigger.id())));
        });
        switch (outcome.get()) {
            case CREATED, UPDATED -> {
                String type = outcome.get() == Outcome.CREATED ? EventTypes.PREVIEW_CREATED : EventTypes.PREVIEW_UPDATED;
                LOG.infof("%s preview %s of %s at %s (GitOps commit %s)", outcome.get() == Outcome.CREATED ? "Opened"
                        : "Updated", request.slug(), app.name(), result.get().url(), commit.commit());
                publish(trigger, type, result.get(), commit.commit(), null);
            }
            case REFUSED -> {
                LOG.warnf("Preview %s of %s not created: %s", request.slug(), app.name(), refusal.get());
                publish(trigger, EventTypes.PREVIEW_REFUSED, partial(app, request), null, refusal.get());
            }
            case STALE -> LOG.warnf("Preview %s of %s: event %s is older than what the preview shows, or than its"
                    + " closing; ignored",
                    request.slug(), app.name(), trigger.id());
            default -> LOG.infof("Preview %s of %s already shows %s", request.slug(), app.name(), request.headCommit());
        }
        return outcome.get().name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Removes the preview's folder in one commit ({@code type} is deleted or expired) and records when it was
     * closed, so that an older event arriving later cannot open it again. {@code closedAt} is the closing event's
     * own time when it has one: a closing older than the preview's last activity (a late delivery) removes nothing.
     * {@code expiresAt}, for the sweep, is the expiry it saw: a preview renewed meanwhile stays.
     */
    public String remove(RelayEvent trigger, AppSpec app, String slug, String type, String reason, Instant closedAt,
            Instant expiresAt) {
        AtomicReference<Preview> removed = new AtomicReference<>();
        Instant at = closedAt == null ? clock.instant() : closedAt;
        CommitOutcome commit = repository.apply(snapshot -> {
            removed.set(null);
            String folder = Preview.folderOf(app.name(), slug);
            Optional<String> yaml = snapshot.read(folder + "/kustomization.yaml");
            Optional<Preview> current = yaml.flatMap(text -> PreviewOverlay.read(app.name(), slug, text));
            if (current.isPresent() && expiresAt == null && closedAt != null && current.get().updatedAt() != null
                    && current.get().updatedAt().isAfter(closedAt)) {
                LOG.warnf("Preview %s of %s: the closing (%s) is older than its last activity; kept", slug, app.name(),
                        closedAt);
                return Optional.empty();
            }
            if (current.isPresent() && expiresAt != null && !expiresAt.equals(current.get().expiresAt())) {
                return Optional.empty();
            }
            ClosedPreviews closed = ClosedPreviews.parse(snapshot.read(ClosedPreviews.path(app.name())));
            if (yaml.isEmpty() && (expiresAt != null || closed.closedSince(slug, at, false))) {
                return Optional.empty();
            }
            TreeEdit edit = new TreeEdit().write(ClosedPreviews.path(app.name()),
                    closed.close(slug, at).prune(clock.instant(), tombstoneLife(app)).toYaml());
            if (yaml.isEmpty()) {
                // Closed before it was opened (deliveries out of order): only the record, so it stays closed.
                return Optional.of(new PlannedCommit(edit, "Record preview " + slug + " of " + app.name()
                        + " as closed: " + reason, List.of(trigger.id())));
            }
            Preview preview = current.orElse(new Preview(app.name(), slug, null, null, null, null, null, null,
                            PreviewOverlay.namespace(app.name(), slug), null, null, null, null));
            removed.set(preview);
            return Optional.of(new PlannedCommit(edit.remove(folder), "Close preview " + slug + " of "
                    + app.name() + ": " + reason + "\n\n" + describe(preview), List.of(trigger.id())));
        });
        if (removed.get() == null) {
            return Outcome.ABSENT.name().toLowerCase(java.util.Locale.ROOT);
        }
        LOG.infof("Closed preview %s of %s (%s), GitOps commit %s", slug, app.name(), reason, commit.commit());
        publish(trigger, type, removed.get(), commit.commit(), reason);
        return Outcome.REMOVED.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** A closing is remembered for twice the preview lifetime: older events than that are not redelivered. */
    private static java.time.Duration tombstoneLife(AppSpec app) {
        return app.previews().ttl().multipliedBy(2);
    }

    private String imageTag(AppSpec app, PreviewRequest request) {
        try {
            return ImageTagTemplate.render(app.previews().imageTag(), request.headCommit(), RefKind.BRANCH,
                    request.branch());
        } catch (IllegalArgumentException e) {
            throw new RelayException(Reason.INVALID_CHANGE, "Cannot open preview " + request.slug() + " of "
                    + app.name() + ": " + e.getMessage());
        }
    }

    private static void requireComponent(Snapshot snapshot, AppSpec app) {
        List<String> needed = app.database().isPresent() ? List.of("preview", "preview-database") : List.of("preview");
        for (String name : needed) {
            String component = app.folder() + "/components/" + name + "/kustomization.yaml";
            if (snapshot.read(component).isEmpty()) {
                throw new RelayException(Reason.INVALID_CHANGE, "App " + app.name() + " has no " + component
                        + ": copy kustomize-base/components/" + name + " there to give it previews");
            }
        }
    }

    private static String describe(Preview preview) {
        String what = preview.pullRequest() != null ? "Pull request #" + preview.pullRequest() : "Branch";
        return what + " (" + CommitText.oneLine(preview.branch()) + ") by " + CommitText.oneLine(preview.author())
                + "\nHead commit: " + preview.headCommit();
    }

    private static Preview partial(AppSpec app, PreviewRequest request) {
        return new Preview(app.name(), request.slug(), request.kind(), request.pullRequest(), request.branch(),
                request.author(), request.headCommit(), null, PreviewOverlay.namespace(app.name(), request.slug()),
                null, null, null, null);
    }

    private void publish(RelayEvent trigger, String type, Preview preview, String gitopsCommit, String reason) {
        OutcomeEvent data = switch (type) {
            case EventTypes.PREVIEW_CREATED -> new OutcomeEvent.PreviewCreated(preview, gitopsCommit, trigger.id());
            case EventTypes.PREVIEW_UPDATED -> new OutcomeEvent.PreviewUpdated(preview, gitopsCommit, trigger.id());
            case EventTypes.PREVIEW_DELETED -> new OutcomeEvent.PreviewDeleted(preview, gitopsCommit, trigger.id(),
                    reason);
            case EventTypes.PREVIEW_EXPIRED -> new OutcomeEvent.PreviewExpired(preview, gitopsCommit, trigger.id(),
                    reason);
            case EventTypes.PREVIEW_REFUSED -> new OutcomeEvent.PreviewRefused(preview, trigger.id(), reason);
            default -> throw new IllegalArgumentException("not a preview event type: " + type);
        };
        publisher.publish(Topics.DEPLOYMENTS, RelayEvent.of(EventCodec.stableId(trigger.id(), preview.slug(), type),
                "/handlers/preview", clock.instant(), data));
    }
}
