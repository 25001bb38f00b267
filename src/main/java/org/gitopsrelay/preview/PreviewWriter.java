package org.gitopsrelay.preview;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.app.ImageTagTemplate;
import org.gitopsrelay.app.Namespaces;
import org.gitopsrelay.app.PreviewSettings;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.ClaimedTimes;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.EventTypes;
import org.gitopsrelay.event.GitChange.RefKind;
import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.event.Preview;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.gitops.Applied;
import org.gitopsrelay.gitops.CommitOutcome;
import org.gitopsrelay.gitops.CommitText;
import org.gitopsrelay.gitops.GitOpsRepository;
import org.gitopsrelay.gitops.KustomizationFile;
import org.gitopsrelay.gitops.Plan;
import org.gitopsrelay.gitops.PlannedCommit;
import org.gitopsrelay.gitops.Snapshot;
import org.gitopsrelay.gitops.TreeEdit;
import org.gitopsrelay.kafka.EventPublisher;
import org.gitopsrelay.render.OverlayCheck;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;
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
        /** What the event asks is there because an earlier attempt of it committed it. */
        MADE_BY_THIS_EVENT,
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
        return upsert(trigger, List.of(), app, request);
    }

    /**
     * As {@link #upsert(RelayEvent, AppSpec, PreviewRequest)} for the newest of several updates of the preview in a
     * batch: the {@code superseded} older ones are named in its commit's trailers, so the audit trail keeps them.
     */
    public String upsert(RelayEvent trigger, List<String> superseded, AppSpec app, PreviewRequest request) {
        try {
            return upsertOrThrow(trigger, superseded, app, request);
        } catch (RelayException e) {
            if (!e.reason().retryable()) {
                LOG.warnf("Preview %s of %s refused: %s", request.slug(), app.name(), e.getMessage());
                publish(trigger, EventTypes.PREVIEW_REFUSED, partial(app, request), null, e.getMessage());
            }
            throw e;
        }
    }

    /** What planning an opening or update decided: the outcome, the preview shown, and why it was refused. */
    record Upsert(Outcome outcome, Preview preview, String refusal) {
        static Upsert of(Outcome outcome) {
            return new Upsert(outcome, null, null);
        }
    }

    /** What planning a closing decided: the preview removed (none if absent), and whether a closing of it is on record. */
    record Removal(Preview removed, boolean closedBefore) {
    }

    private String upsertOrThrow(RelayEvent trigger, List<String> superseded, AppSpec app, PreviewRequest request) {
        Applied<Upsert> applied = repository.apply(snapshot -> {
            String path = Preview.folderOf(app.name(), request.slug()) + "/kustomization.yaml";
            Optional<Preview> existing = snapshot.read(path).flatMap(yaml -> PreviewOverlay.read(app.name(),
                    request.slug(), yaml));
            // The older updates this one stands for, unless a commit already names them.
            List<String> pending = superseded.stream()
                    .filter(id -> !snapshot.committed(id, path, config.gitops().trailerSearchDepth())).toList();
            Instant latestTrusted = ClaimedTimes.latestTrusted(clock.instant(), config.webhook().maxClockSkew());
            if (existing.isPresent() && request.headCommit().equals(existing.get().headCommit())) {
                boolean mine = madeBy(snapshot.read(path).orElseThrow(), trigger);
                Instant shown = existing.get().updatedAt();
                boolean newer = request.activityAt() != null
                        && (shown == null || shown.isAfter(latestTrusted) || request.activityAt().isAfter(shown));
                // Newer activity at the head it shows (a force-push back, a reopening) is still written, with its
                // time: else an update or closing older than it but newer than the preview's time, delivered after
                // it, would move or remove the preview. The older updates of the batch it stands for are named then.
                if (mine || !newer) {
                    return Plan.nothing(new Upsert(mine ? Outcome.MADE_BY_THIS_EVENT : Outcome.UNCHANGED,
                            existing.get(), null));
                }
            }
            if (existing.isPresent() && request.activityAt() != null && existing.get().updatedAt() != null
                    && !existing.get().updatedAt().isAfter(latestTrusted)
                    && request.activityAt().isBefore(existing.get().updatedAt())) {
                return Plan.nothing(Upsert.of(Outcome.STALE));
            }
            ClosedPreviews closed = ClosedPreviews.parse(snapshot.read(ClosedPreviews.path(app.name())),
                    latestTrusted);
            if (existing.isEmpty() && closed.closedSince(request.slug(), request.activityAt(), request.reopening())) {
                return Plan.nothing(Upsert.of(Outcome.STALE));
            }
            if (existing.isEmpty()) {
                int live = snapshot.countFolders("apps/" + app.name() + "/previews");
                if (live >= app.previews().max()) {
                    return Plan.nothing(new Upsert(Outcome.REFUSED, null, "app " + app.name() + " already has " + live
                            + " live previews, its cap (previews.max); the preview is created at the next push once"
                            + " one is closed or expires"));
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
            PreviewPolicy.check(overlayCheck.render(snapshot, app.folder(), edit, preview.folder()), request.untrusted(),
                    app.folder());
            String verb = existing.isPresent() ? "Update" : "Open";
            List<String> eventIds = new java.util.ArrayList<>(List.of(trigger.id()));
            eventIds.addAll(pending);
            String supersedes = eventIds.size() == 1 ? ""
                    : "\nSupersedes: " + (eventIds.size() - 1) + " older update" + (eventIds.size() > 2 ? "s" : "");
            return Plan.commit(new Upsert(existing.isPresent() ? Outcome.UPDATED : Outcome.CREATED, preview, null),
                    new PlannedCommit(edit, verb + " preview " + preview.slug() + " of " + app.name() + ": "
                            + preview.url() + "\n\n" + describe(preview) + "\nImage: " + preview.image() + supersedes,
                            eventIds));
        });
        Upsert decided = applied.decision();
        CommitOutcome commit = applied.outcome();
        Outcome outcome = decided.outcome();
        switch (outcome) {
            case CREATED, UPDATED -> {
                String type = outcome == Outcome.CREATED ? EventTypes.PREVIEW_CREATED : EventTypes.PREVIEW_UPDATED;
                LOG.infof("%s preview %s of %s at %s (GitOps commit %s)", outcome == Outcome.CREATED ? "Opened"
                        : "Updated", request.slug(), app.name(), decided.preview().url(), commit.commit());
                publish(trigger, type, decided.preview(), commit.commit(), null);
            }
            case REFUSED -> {
                LOG.warnf("Preview %s of %s not created: %s", request.slug(), app.name(), decided.refusal());
                publish(trigger, EventTypes.PREVIEW_REFUSED, partial(app, request), null, decided.refusal());
            }
            case MADE_BY_THIS_EVENT -> {
                if (!republish(trigger, app.name(), request.slug(), null)) {
                    LOG.warnf("Preview %s of %s already shows event %s, but its commit is not among the last %d:"
                            + " its event is not published again", request.slug(), app.name(), trigger.id(),
                            config.gitops().trailerSearchDepth());
                }
            }
            case STALE -> LOG.warnf("Preview %s of %s: event %s is older than what the preview shows, or than its"
                    + " closing; ignored",
                    request.slug(), app.name(), trigger.id());
            default -> LOG.infof("Preview %s of %s already shows %s", request.slug(), app.name(), request.headCommit());
        }
        return outcome.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /**
     * Removes the preview's folder in one commit ({@code type} is deleted or expired) and records when it was
     * closed, so that an older event arriving later cannot open it again. {@code closedAt} is the closing event's
     * own time when it has one: a closing older than the preview's last activity (a late delivery) removes nothing.
     * {@code expiresAt}, for the sweep, is the expiry it saw: a preview renewed meanwhile stays.
     */
    public String remove(RelayEvent trigger, AppSpec app, String slug, String type, String reason, Instant closedAt,
            Instant expiresAt) {
        return remove(trigger, app.name(), app.previews().ttl(), slug, type, reason, closedAt, expiresAt, true);
    }

    /**
     * As {@link #remove}, for the previews of an app the registry leaves out (its app.yaml is gone or invalid): they
     * must not outlive it, but nothing is recorded for a preview that is not there, as the app may not have any.
     */
    public String removeOfUnregistered(RelayEvent trigger, String app, String slug, String type, String reason,
            Instant closedAt, Instant expiresAt) {
        return remove(trigger, app, PreviewSettings.DEFAULT_TTL, slug, type, reason, closedAt, expiresAt, false);
    }

    private String remove(RelayEvent trigger, String app, Duration ttl, String slug, String type, String reason,
            Instant closedAt, Instant expiresAt, boolean recordAbsent) {
        Instant at = closedAt == null ? clock.instant() : closedAt;
        Applied<Removal> applied = repository.apply(snapshot -> {
            String folder = Preview.folderOf(app, slug);
            Optional<String> yaml = snapshot.read(folder + "/kustomization.yaml");
            Optional<Preview> current = yaml.flatMap(text -> PreviewOverlay.read(app, slug, text));
                Instant latestTrusted = ClaimedTimes.latestTrusted(clock.instant(), config.webhook().maxClockSkew());
            ClosedPreviews closed = ClosedPreviews.parse(snapshot.read(ClosedPreviews.path(app)), latestTrusted);
            Removal nothing = new Removal(null, closed.contains(slug));
            if (current.isPresent() && expiresAt == null && closedAt != null && current.get().updatedAt() != null
                    && !current.get().updatedAt().isAfter(latestTrusted) && current.get().updatedAt().isAfter(closedAt)) {
                LOG.warnf("Preview %s of %s: the closing (%s) is older than its last activity; kept", slug, app,
                        closedAt);
                return Plan.nothing(nothing);
            }
            if (current.isPresent() && expiresAt != null && !expiresAt.equals(current.get().expiresAt())) {
                return Plan.nothing(nothing);
            }
            if (yaml.isEmpty() && (expiresAt != null || !recordAbsent || closed.closedSince(slug, at, false))) {
                return Plan.nothing(nothing);
            }
            // A closing is remembered for twice the preview lifetime: older events than that are not redelivered.
            TreeEdit edit = new TreeEdit().write(ClosedPreviews.path(app),
                    closed.prune(clock.instant(), ttl.multipliedBy(2)).close(slug, at).toYaml());
            if (yaml.isEmpty()) {
                // Closed before it was opened (deliveries out of order): only the record, so it stays closed.
                return Plan.commit(nothing, new PlannedCommit(edit, "Record preview " + slug + " of " + app
                        + " as closed: " + reason, List.of(trigger.id())));
            }
            Preview preview = current.orElse(new Preview(app, slug, null, null, null, null, null, null,
                    PreviewOverlay.namespace(app, slug), null, null, null, null));
            return Plan.commit(new Removal(preview, nothing.closedBefore()), new PlannedCommit(edit.remove(folder),
                    "Close preview " + slug + " of " + app + ": " + reason + "\n\n" + describe(preview),
                    List.of(trigger.id())));
        });
        Removal removal = applied.decision();
        if (removal.removed() == null) {
            // Only a preview closed before can have been closed by this event: no history walk for the rest.
            if (removal.closedBefore() && republish(trigger, app, slug, reason)) {
                return Outcome.MADE_BY_THIS_EVENT.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
            }
            return Outcome.ABSENT.name().toLowerCase(java.util.Locale.ROOT);
        }
        LOG.infof("Closed preview %s of %s (%s), GitOps commit %s", slug, app, reason, applied.outcome().commit());
        publish(trigger, type, removal.removed(), applied.outcome().commit(), reason);
        return Outcome.REMOVED.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static boolean madeBy(String overlay, RelayEvent trigger) {
        try {
            return trigger.id().equals(KustomizationFile.parse(overlay).annotation("event").orElse(null));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * A redelivered event whose commit is already on the branch: an earlier attempt committed, and may have died
     * before publishing. Its event is published again, under the same id (consumers drop duplicates), as it was
     * then: what the commit's message says it did, with the preview as the commit left it (or, for a closing, as it
     * was before). True when there was such a commit.
     */
    private boolean republish(RelayEvent trigger, String app, String slug, String reason) {
        Optional<GitOpsRepository.EventCommit> made = repository.eventCommit(trigger.id());
        if (made.isEmpty()) {
            return false;
        }
        String message = made.get().message();
        String type;
        Snapshot shown;
        if (message.startsWith("Open preview " + slug + " ")) {
            type = EventTypes.PREVIEW_CREATED;
            shown = repository.current();
        } else if (message.startsWith("Update preview " + slug + " ")) {
            type = EventTypes.PREVIEW_UPDATED;
            shown = repository.current();
        } else if (message.startsWith("Close preview " + slug + " ")) {
            type = trigger.type().equals(EventTypes.PREVIEW_EXPIRED) ? EventTypes.PREVIEW_EXPIRED
                    : EventTypes.PREVIEW_DELETED;
            shown = made.get().before();
        } else {
            return false;
        }
        String path = Preview.folderOf(app, slug) + "/kustomization.yaml";
        Optional<Preview> preview = shown.read(path).flatMap(yaml -> PreviewOverlay.read(app, slug, yaml));
        if (preview.isEmpty()) {
            return false;
        }
        LOG.infof("Preview %s of %s: event %s was committed before (%s); publishing %s again", slug, app,
                trigger.id(), made.get().id(), type);
        publish(trigger, type, preview.get(), made.get().id(), reason);
        return true;
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
