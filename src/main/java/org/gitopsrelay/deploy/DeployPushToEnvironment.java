package org.gitopsrelay.deploy;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

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
 * A push to a branch or tag an environment follows sets that environment's image in its overlay, checks the
 * overlay still renders, and commits it: one commit per environment. Idempotent: a push whose image is already
 * there commits nothing; ordered: a push older than the one deployed never rolls the environment back.
 */
@ApplicationScoped
public class DeployPushToEnvironment {

    private static final Logger LOG = Logger.getLogger(DeployPushToEnvironment.class);

    /** What planning decided for one environment. */
    enum Decision {
        DEPLOY,
        UNCHANGED,
        ALREADY_DEPLOYED_BY_THIS_EVENT,
        STALE
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
    private final EventPublisher publisher;
    private final RelayConfig config;
    private final Clock clock;

    @Inject
    public DeployPushToEnvironment(GitOpsRepository repository, OverlayCheck overlayCheck, EventPublisher publisher,
            RelayConfig config, Clock clock) {
        this.repository = repository;
        this.overlayCheck = overlayCheck;
        this.publisher = publisher;
        this.config = config;
        this.clock = clock;
    }

    /**
     * Deploys the push to each environment that follows its ref, publishing each environment's outcome as soon as
     * it is known, so that a later environment's failure cannot hold back the news of an earlier one.
     */
    public List<Result> handle(RelayEvent trigger, AppSpec app, GitChange.Push push) {
        List<Result> results = new ArrayList<>();
        for (EnvironmentSpec env : app.environmentsFollowing(push.refKind(), push.refName())) {
            Result result = deploy(trigger, app, env, push);
            result.event().ifPresent(event -> publisher.publish(Topics.DEPLOYMENTS, event));
            results.add(result);
        }
        return results;
    }

    private Result deploy(RelayEvent trigger, AppSpec app, EnvironmentSpec env, GitChange.Push push) {
        long started = System.nanoTime();
        String tag;
        try {
            tag = ImageTagTemplate.render(env.imageTag(), push);
        } catch (IllegalArgumentException e) {
            return failed(trigger, app, env, push, null, new RelayException(Reason.INVALID_CHANGE,
                    "Cannot deploy " + push.refName() + " to " + env.name() + ": " + e.getMessage()));
        }
        String image = app.image() + ":" + tag;
        Applied<Decision> applied;
        try {
            applied = repository.apply(snapshot -> plan(snapshot, trigger, app, env, push, tag));
        } catch (RelayException e) {
            if (e.reason().retryable()) {
                throw e;
            }
            return failed(trigger, app, env, push, image, e);
        }
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
            case STALE -> {
                LOG.warnf("Push of %s to %s (pushed %s) is older than what %s/%s runs: not rolling back (event %s)",
                        push.headCommit(), push.refName(), push.pushedAt(), app.name(), env.name(), trigger.id());
                yield new Result(env.name(), Decision.STALE, Optional.empty(), Optional.empty());
            }
        };
    }

    /** What deploying the push to the environment needs, on this snapshot: a pure function of it. */
    Plan<Decision> plan(Snapshot snapshot, RelayEvent trigger, AppSpec app, EnvironmentSpec env, GitChange.Push push,
            String tag) {
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
        if (sameImage) {
            return Plan.nothing(trigger.id().equals(overlay.annotation("event").orElse(null))
                    ? Decision.ALREADY_DEPLOYED_BY_THIS_EVENT : Decision.UNCHANGED);
        }
        if (isStale(push, deployedAt, overlay.annotation("source-commit"))) {
            return Plan.nothing(Decision.STALE);
        }
        overlay.namespace(env.namespace())
                .image(app.imageName(), app.image(), tag)
                .annotation("source-commit", push.headCommit())
                .annotation("source-ref", (push.refKind() == GitChange.RefKind.TAG ? "refs/tags/" : "refs/heads/")
                        + push.refName())
                .annotation("source-time", push.pushedAt() == null ? null : push.pushedAt().toString())
                .annotation("event", trigger.id());
        TreeEdit edit = new TreeEdit().write(path, overlay.toYaml());
        overlayCheck.render(snapshot, app.folder(), edit, env.overlayDir(app.name()));
        String message = "Deploy " + app.name() + " " + env.name() + ": " + app.image() + ":" + tag + "\n\n"
                + "Source: " + push.repo() + "@" + push.headCommit() + " (" + push.refName() + ")\n"
                + "Pushed by: " + CommitText.oneLine(push.pusher());
        return Plan.commit(Decision.DEPLOY, new PlannedCommit(edit, message, List.of(trigger.id())));
    }

    /**
     * An older push never replaces a newer one. Push times have whole seconds: on a tie, only a push that moves on
     * from the deployed commit is newer; anything else (a reordered delivery) is not. A push without a time cannot
     * be ordered and is taken in the order Kafka gives.
     */
    static boolean isStale(GitChange.Push push, Optional<Instant> deployedAt, Optional<String> deployedCommit) {
        if (push.pushedAt() == null || deployedAt.isEmpty()) {
            return false;
        }
        if (push.pushedAt().isBefore(deployedAt.get())) {
            return true;
        }
        return push.pushedAt().equals(deployedAt.get()) && !push.before().equals(deployedCommit.orElse(null));
    }

    private Result committed(RelayEvent trigger, AppSpec app, EnvironmentSpec env, GitChange.Push push, String image,
            String gitopsCommit, OutcomeEvent.Timings timings, Decision decision) {
        var data = new OutcomeEvent.DeploymentCommitted(app.name(), env.name(), image, push.repo().key(),
                push.refName(), push.headCommit(), push.committedAt(), push.pusher(), gitopsCommit, trigger.id(),
                trigger.time(), timings);
        return new Result(env.name(), decision, Optional.of(event(trigger, env, data)), Optional.empty());
    }

    private Result failed(RelayEvent trigger, AppSpec app, EnvironmentSpec env, GitChange.Push push, String image,
            RelayException error) {
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
