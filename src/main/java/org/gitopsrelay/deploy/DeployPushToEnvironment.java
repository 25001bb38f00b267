package org.gitopsrelay.deploy;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.app.EnvironmentSpec;
import org.gitopsrelay.app.ImageTagTemplate;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.ClaimedTimes;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.gitops.Applied;
import org.gitopsrelay.gitops.ChangePlanner;
import org.gitopsrelay.gitops.ChangeResult;
import org.gitopsrelay.gitops.CommitOutcome;
import org.gitopsrelay.gitops.CommitText;
import org.gitopsrelay.gitops.GitOpsRepository;
import org.gitopsrelay.gitops.KustomizationFile;
import org.gitopsrelay.gitops.Plan;
import org.gitopsrelay.gitops.PlannedCommit;
import org.gitopsrelay.gitops.Snapshot;
import org.gitopsrelay.gitops.TreeEdit;
import org.gitopsrelay.render.OverlayCheck;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;
import org.jboss.logging.Logger;

/**
 * A push to a branch or tag an environment follows sets that environment's image in its overlay, checks the
 * overlay still renders, and commits it: one commit per environment. Idempotent: a push whose image is already
 * there commits nothing; ordered: a push older than the one deployed never rolls the environment back.
 */
@ApplicationScoped
public class DeployPushToEnvironment {

    private static final Logger LOG = Logger.getLogger(DeployPushToEnvironment.class);

    /** The annotations a deployment, a promotion or a rollback writes in an overlay (under gitops-relay.io/). */
    static final List<String> DEPLOYMENT_ANNOTATIONS = List.of("source-commit", "source-ref", "source-time", "event",
            "promoted-from", "rolled-back-from", "requested-by");

    /** What planning decided for one environment. */
    enum Decision {
        DEPLOY,
        UNCHANGED,
        ALREADY_DEPLOYED_BY_THIS_EVENT,
        STALE,
        /** A newer push of the same batch was deployed in its place, or already had been. */
        SUPERSEDED,
        /** The environment is frozen in app.yaml: pushes deploy nothing there. */
        FROZEN
    }

    /** The handler's result for one environment: the event published about it, and why it failed, if it did. */
    public record Result(String environment, Decision decision, Optional<RelayEvent> event,
            Optional<RelayException> failure) {
        /** Metric tag: the decision, or {@code failed}. */
        public String outcome() {
            return decision == null ? "failed" : decision.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    private final GitOpsRepository repository;
    private final OverlayCheck overlayCheck;
    private final RelayConfig config;
    private final Clock clock;

    @Inject
    public DeployPushToEnvironment(GitOpsRepository repository, OverlayCheck overlayCheck, RelayConfig config,
            Clock clock) {
        this.repository = repository;
        this.overlayCheck = overlayCheck;
        this.config = config;
        this.clock = clock;
    }

    /** A push to deploy, and the event that carried it. */
    public record Request(RelayEvent trigger, AppSpec app, GitChange.Push push) {
    }

    /** Deploys one push to each environment that follows its ref; see {@link #handleAll}. */
    public List<Result> handle(RelayEvent trigger, AppSpec app, GitChange.Push push) {
        return handleAll(List.of(new Request(trigger, app, push))).get(0);
    }

    /**
     * Deploys a batch of pushes: per app and environment only the newest push (by {@link #isStale}'s rule) is
     * planned, and the others are {@code superseded}, their ids written as trailers of the newest one's commit so the
     * history still names every event. The environments' commits go out in one push. Returns, for each request in
     * order, its result per environment it follows, with the event to publish about it: publishing is the caller's.
     *
     * @throws RelayException when the push itself fails (retryable): nothing of the batch was committed
     */
    public List<List<Result>> handleAll(List<Request> requests) {
        long started = System.nanoTime();
        List<List<Result>> results = new ArrayList<>();
        Map<String, Coalesced> newest = new LinkedHashMap<>();
        for (int i = 0; i < requests.size(); i++) {
            Request request = requests.get(i);
            results.add(new ArrayList<>());
            for (EnvironmentSpec env : request.app().environmentsFollowing(request.push().refKind(),
                    request.push().refName())) {
                String tag;
                try {
                    tag = ImageTagTemplate.render(env.imageTag(), request.push());
                } catch (IllegalArgumentException e) {
                    results.get(i).add(failed(request, env, null, new RelayException(Reason.INVALID_CHANGE,
                            "Cannot deploy " + request.push().refName() + " to " + env.name() + ": "
                                    + e.getMessage())));
                    continue;
                }
                String key = request.app().name() + "\n" + env.name();
                Coalesced candidate = new Coalesced(i, request, env, tag, new ArrayList<>());
                newest.merge(key, candidate, Coalesced::newer);
            }
        }
        List<Coalesced> planned = new ArrayList<>(newest.values());
        if (planned.isEmpty()) {
            return results;
        }
        List<ChangeResult<Decision>> applied = repository.applyAll(planned.stream()
                // A deployment reads its app's folder alone (overlay, base, the history of its overlay), so
                // another writer's commits elsewhere leave its plan standing.
                .map(change -> ChangePlanner.<Decision>within(change.request().app().folder(),
                        snapshot -> plan(snapshot, change.request().trigger(), change.request().app(), change.env(),
                                change.request().push(), change.tag(), change.supersededIds(),
                                change.chainedFrom())))
                .toList());
        for (int k = 0; k < planned.size(); k++) {
            Coalesced change = planned.get(k);
            Result result = outcome(change, applied.get(k), started);
            results.get(change.index()).add(result);
            for (Coalesced superseded : change.superseded()) {
                if (result.failure().isPresent()) {
                    // Nothing replaced it: it shares the newest one's fate, retried or dead-lettered (and replayed)
                    // with it, where it will be found stale or deployed.
                    results.get(superseded.index()).add(new Result(change.env().name(), null, Optional.empty(),
                            result.failure()));
                    continue;
                }
                results.get(superseded.index()).add(
                        new Result(change.env().name(), Decision.SUPERSEDED, Optional.empty(), Optional.empty()));
                LOG.infof("Push of %s to %s/%s superseded by %s in the same batch (event %s, by event %s)",
                        superseded.request().push().headCommit(), change.request().app().name(), change.env().name(),
                        change.request().push().headCommit(), superseded.request().trigger().id(),
                        change.request().trigger().id());
            }
        }
        return results;
    }

    /**
     * The newest push of a batch for one app and environment, with the older ones it replaces. Pushes are folded in
     * the order Kafka gave them: a push replaces the current newest unless it is older by {@link #isStale}'s rule.
     */
    private record Coalesced(int index, Request request, EnvironmentSpec env, String tag, List<Coalesced> superseded) {

        Coalesced newer(Coalesced next) {
            GitChange.Push push = request.push();
            if (isStale(next.request().push(), Optional.ofNullable(push.pushedAt()),
                    Optional.ofNullable(push.headCommit()))) {
                superseded.add(next);
                return this;
            }
            next.superseded().addAll(superseded);
            next.superseded().add(this);
            superseded.clear();
            return next;
        }

        List<String> supersededIds() {
            return superseded.stream().map(older -> older.request().trigger().id()).toList();
        }

        /** The commits the pushes it replaced moved on from: the chain that leads to it within the batch. */
        Set<String> chainedFrom() {
            Set<String> befores = new HashSet<>();
            superseded.forEach(older -> {
                if (older.request().push().before() != null) {
                    befores.add(older.request().push().before());
                }
            });
            return befores;
        }
    }

    private Result outcome(Coalesced change, ChangeResult<Decision> result, long started) {
        Request request = change.request();
        RelayEvent trigger = request.trigger();
        AppSpec app = request.app();
        EnvironmentSpec env = change.env();
        GitChange.Push push = request.push();
        String image = app.image() + ":" + change.tag();
        if (result instanceof ChangeResult.Refused<Decision> refused) {
            if (refused.error().reason().retryable()) {
                return new Result(env.name(), null, Optional.empty(), Optional.of(refused.error()));
            }
            return failed(request, env, image, refused.error());
        }
        Applied<Decision> applied = ((ChangeResult.Done<Decision>) result).applied();
        CommitOutcome outcome = applied.outcome();
        long total = (System.nanoTime() - started) / 1_000_000;
        OutcomeEvent.Timings timings = new OutcomeEvent.Timings(outcome.fetchMillis(), outcome.planMillis(),
                outcome.commitMillis(), outcome.pushMillis(), total, outcome.attempts());
        return switch (applied.decision()) {
            case DEPLOY -> {
                LOG.infof("Deployed %s to %s/%s as GitOps commit %s in %d ms (event %s)", image, app.name(), env.name(),
                        outcome.commit(), total, trigger.id());
                yield committed(trigger, app, env, push, image, outcome.commit(), timings, Decision.DEPLOY);
            }
            case ALREADY_DEPLOYED_BY_THIS_EVENT -> {
                // An earlier attempt committed but may have died before publishing: publish again, with the same id
                // (consumers drop duplicates) and the commit that carries this event's trailer.
                yield committed(trigger, app, env, push, image,
                        repository.commitOfEvent(trigger.id()).orElse(outcome.commit()), timings,
                        Decision.ALREADY_DEPLOYED_BY_THIS_EVENT);
            }
            case UNCHANGED -> {
                LOG.infof("%s/%s already runs %s: nothing to commit (event %s)", app.name(), env.name(), image,
                        trigger.id());
                yield new Result(env.name(), Decision.UNCHANGED, Optional.empty(), Optional.empty());
            }
            case SUPERSEDED -> {
                LOG.infof("Event %s was committed for %s/%s before, and a newer push has replaced it since: nothing"
                        + " to commit", trigger.id(), app.name(), env.name());
                yield new Result(env.name(), Decision.SUPERSEDED, Optional.empty(), Optional.empty());
            }
            case FROZEN -> {
                LOG.warnf("%s/%s is frozen (app.yaml): push of %s to %s not deployed (event %s)", app.name(),
                        env.name(), push.headCommit(), push.refName(), trigger.id());
                yield new Result(env.name(), Decision.FROZEN, Optional.empty(), Optional.empty());
            }
            case STALE -> {
                LOG.warnf("Push of %s to %s (pushed %s) is older than what %s/%s runs: not rolling back (event %s)",
                        push.headCommit(), push.refName(), push.pushedAt(), app.name(), env.name(), trigger.id());
                yield new Result(env.name(), Decision.STALE, Optional.empty(), Optional.empty());
            }
        };
    }

    /** What deploying the push to the environment needs, on this snapshot: a pure function of it. */
    Plan<Decision> plan(Snapshot snapshot, RelayEvent trigger, AppSpec app, EnvironmentSpec env, GitChange.Push push,
            String tag, List<String> supersededIds, Set<String> chainedFrom) {
        if (env.frozen()) {
            return Plan.nothing(Decision.FROZEN);
        }
        String path = env.overlayDir(app.name()) + "/kustomization.yaml";
        String current = snapshot.read(path).orElseThrow(() -> new RelayException(Reason.INVALID_CHANGE,
                "The overlay " + path + " does not exist: environment " + env.name() + " of app " + app.name()
                        + " has nowhere to deploy to"));
        KustomizationFile overlay;
        try {
            overlay = KustomizationFile.parse(current);
        } catch (IllegalArgumentException e) {
            throw new RelayException(Reason.INVALID_CHANGE, path + " cannot be read: " + e.getMessage(), e);
        }
        Instant latestTrusted = ClaimedTimes.latestTrusted(clock.instant(), config.webhook().maxClockSkew());
        Optional<Instant> deployedAt = overlay.annotation("source-time").flatMap(DeployPushToEnvironment::instant)
                .filter(time -> !time.isAfter(latestTrusted));
        boolean sameImage = tag.equals(overlay.imageTag(app.imageName()).orElse(null))
                && env.namespace().equals(overlay.namespace().orElse(null));
        boolean deployedByThis = trigger.id().equals(overlay.annotation("event").orElse(null));
        if (sameImage) {
            return Plan.nothing(deployedByThis ? Decision.ALREADY_DEPLOYED_BY_THIS_EVENT : Decision.UNCHANGED);
        }
        int depth = config.gitops().trailerSearchDepth();
        if (snapshot.committed(trigger.id(), path, depth)) {
            // Redelivered after its commit (as the newest of a batch, or superseded in one), and replaced since.
            return Plan.nothing(Decision.SUPERSEDED);
        }
        Set<String> movesOnFrom = new HashSet<>(chainedFrom);
        if (push.before() != null) {
            movesOnFrom.add(push.before());
        }
        if (isStale(push, deployedAt, overlay.annotation("source-commit"), movesOnFrom)) {
            return Plan.nothing(Decision.STALE);
        }
        overlay.namespace(env.namespace())
                .image(app.imageName(), app.image(), tag)
                .annotation("source-commit", push.headCommit())
                .annotation("source-ref", (push.refKind() == GitChange.RefKind.TAG ? "refs/tags/" : "refs/heads/")
                        + push.refName())
                .annotation("source-time", push.pushedAt() == null ? null : push.pushedAt().toString())
                .annotation("event", trigger.id())
                // What an earlier promotion or rollback said no longer describes this image.
                .annotation("promoted-from", null).annotation("rolled-back-from", null)
                .annotation("requested-by", null);
        String edited = overlay.toYaml();
        TreeEdit edit = new TreeEdit().write(path, edited);
        overlayCheck.check(snapshot, app.folder(), edit, env.overlayDir(app.name()), standIns(snapshot, app, path,
                edited), tag);
        String message = "Deploy " + app.name() + " " + env.name() + ": " + app.image() + ":" + tag + "\n\n"
                + "Source: " + push.repo() + "@" + push.headCommit() + " (" + push.refName() + ")\n"
                + "Pushed by: " + CommitText.oneLine(push.pusher());
        List<String> eventIds = new ArrayList<>();
        supersededIds.stream().filter(id -> !snapshot.committed(id, path, depth)).forEach(eventIds::add);
        eventIds.add(trigger.id());
        if (eventIds.size() > 1) {
            message += "\nSupersedes: " + (eventIds.size() - 1) + " older push" + (eventIds.size() > 2 ? "es" : "")
                    + " of this batch";
        }
        return Plan.commit(Decision.DEPLOY, new PlannedCommit(edit, message, eventIds));
    }

    /**
     * The app's environment overlays as the check sees them, {@code edited} in place of the one at {@code path}: the
     * tag and the annotations a deployment writes are set to fixed values, so that deploying one environment does not
     * make the next check of another look new. Kustomize writes a tag into image fields only, unless a replacement or
     * a generator reads it, which the check looks for before it keeps a pass.
     */
    static Map<String, byte[]> standIns(Snapshot snapshot, AppSpec app, String path, String edited) {
        Map<String, byte[]> standIns = new HashMap<>();
        for (String env : snapshot.folders(app.folder() + "/envs")) {
            String overlay = app.folder() + "/envs/" + env + "/kustomization.yaml";
            snapshot.read(overlay).flatMap(yaml -> standIn(yaml, app)).ifPresent(bytes -> standIns.put(overlay, bytes));
        }
        standIn(edited, app).ifPresent(bytes -> standIns.put(path, bytes));
        return standIns;
    }

    private static Optional<byte[]> standIn(String overlay, AppSpec app) {
        try {
            KustomizationFile file = KustomizationFile.parse(overlay);
            if (file.imageTag(app.imageName()).isPresent()) {
                file.image(app.imageName(), app.image(), "tag");
            }
            for (String annotation : DEPLOYMENT_ANNOTATIONS) {
                file.annotation(annotation, null);
            }
            return Optional.of(file.toYaml().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            // Not readable as a Kustomization: it counts as it is.
            return Optional.empty();
        }
    }

    /**
     * An older push never replaces a newer one. Push times have whole seconds: on a tie, only a push that moves on
     * from the deployed commit is newer; anything else (a reordered delivery) is not. A push without a time cannot
     * be ordered and is taken in the order Kafka gives.
     */
    static boolean isStale(GitChange.Push push, Optional<Instant> deployedAt, Optional<String> deployedCommit) {
        return isStale(push, deployedAt, deployedCommit,
                push.before() == null ? Set.of() : Set.of(push.before()));
    }

    /**
     * As above, for the newest push of a batch that replaced others: {@code movesOnFrom} holds the commits it and
     * they moved on from, so that on a tie a chain of pushes in one second that starts at the deployed commit is
     * newer, as it would be handled one push at a time.
     */
    static boolean isStale(GitChange.Push push, Optional<Instant> deployedAt, Optional<String> deployedCommit,
            Set<String> movesOnFrom) {
        if (push.pushedAt() == null || deployedAt.isEmpty()) {
            return false;
        }
        if (push.pushedAt().isBefore(deployedAt.get())) {
            return true;
        }
        return push.pushedAt().equals(deployedAt.get())
                && (deployedCommit.isEmpty() || !movesOnFrom.contains(deployedCommit.get()));
    }

    private Result committed(RelayEvent trigger, AppSpec app, EnvironmentSpec env, GitChange.Push push, String image,
            String gitopsCommit, OutcomeEvent.Timings timings, Decision decision) {
        var data = new OutcomeEvent.DeploymentCommitted(app.name(), env.name(), image, push.repo().key(),
                push.refName(), push.headCommit(), push.committedAt(), push.pusher(), gitopsCommit, trigger.id(),
                trigger.time(), timings);
        return new Result(env.name(), decision, Optional.of(event(trigger, env, data)), Optional.empty());
    }

    private Result failed(Request request, EnvironmentSpec env, String image, RelayException error) {
        RelayEvent trigger = request.trigger();
        AppSpec app = request.app();
        GitChange.Push push = request.push();
        LOG.errorf("Deployment of %s to %s/%s failed, nothing committed (event %s): %s", push.headCommit(), app.name(),
                env.name(), trigger.id(), error.getMessage());
        var data = new OutcomeEvent.DeploymentFailed(app.name(), env.name(), image, push.repo().key(),
                push.refName(), push.headCommit(), push.committedAt(), push.pusher(), trigger.id(), trigger.time(),
                error.reason().tag(), error.getMessage());
        return new Result(env.name(), null, Optional.of(event(trigger, env, data)), Optional.of(error));
    }

    private static RelayEvent event(RelayEvent trigger, EnvironmentSpec env, OutcomeEvent data) {
        return RelayEvent.of(EventCodec.stableId(trigger.id(), env.name(), data.type()), "/handlers/deploy",
                Instant.now(), data);
    }

    private static Optional<Instant> instant(String text) {
        try {
            return Optional.of(Instant.parse(text));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
